"""A pool worker's HTTP server: it takes its share of the pool's connections, not a burst.

``serve --workers N`` hands every worker the same listening socket. Left to
itself, uvicorn's server accepts everything queued whenever its loop is free,
so one worker can end up with most of the kept-alive connections and the pool
answers no faster than one process (:mod:`hub.entrypoints.http.connection_share`
has the measurement). Here uvicorn serves each connection as usual, but this
process's own acceptor decides when to take one:

- while this worker holds no more connections than any other worker of the pool,
  it waits on the socket like everyone else and takes the next connection;
- otherwise it leaves new connections to the others, looking every ``POLL_S``;
  a connection that has waited ``GRACE_S`` without any taker is taken all the same,
  so a worker that is slow, stopping or dead delays a client by at most ``GRACE_S``.

Every accepted connection is served by uvicorn's own protocol (TLS included,
through ``connect_accepted_socket``), counted while it lives, and shut down with
the server. The count is published at once on accept and every ``REFRESH_S``
otherwise, and withdrawn when the server stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import signal
import socket
import ssl
from collections.abc import Coroutine
from dataclasses import dataclass

import structlog
import uvicorn

from hub.entrypoints.http.connection_share import ConnectionShare

log = structlog.get_logger("hub.http.pool")

POLL_S = 0.005
GRACE_S = 0.02
REFRESH_S = 0.05
ACCEPT_RETRY_S = 0.1


@dataclass(frozen=True)
class PoolListener:
    """The socket a pool's workers share, and this worker's slot in the pool's table."""

    sock: socket.socket
    share: ConnectionShare


class PoolServer(uvicorn.Server):
    """uvicorn, fed the connections that this worker takes from the pool's socket."""

    def __init__(self, config: uvicorn.Config, listener: PoolListener) -> None:
        super().__init__(config)
        self._listener = listener
        self._opening = 0  # accepted, not yet handed to uvicorn's protocol
        self._tasks: set[asyncio.Task[None]] = set()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's start without a server of its own, then this worker's acceptor."""
        await super().startup(sockets=[])
        for work in (self._accept_forever(), self._refresh_forever()):
            self._spawn(work).add_done_callback(self._stop_if_failed)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Stop taking connections and leave them to the others; then uvicorn's drain."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._listener.share.withdraw()
        await super().shutdown(sockets)

    def held(self) -> int:
        """Connections this worker serves, or is about to."""
        return len(self.server_state.connections) + self._opening

    async def _accept_forever(self) -> None:
        share = self._listener.share
        share.publish(self.held())
        while True:
            try:
                conn = await self._next_connection()
            except OSError as exc:  # out of descriptors, say: the queue keeps the connection
                log.warning("cannot accept a connection now", reason=str(exc))
                await asyncio.sleep(ACCEPT_RETRY_S)
                continue
            self._opening += 1
            share.publish(self.held())
            self._spawn(self._take(conn))

    async def _next_connection(self) -> socket.socket:
        loop = asyncio.get_running_loop()
        sock, share = self._listener.sock, self._listener.share
        waiting_since: float | None = None
        while True:
            if share.fewest(self.held()):
                conn, _ = await loop.sock_accept(sock)
                return conn
            # More than another worker holds: leave new connections to it, unless one
            # has been waiting longer than the grace (that worker may be slow or gone).
            if _pending(sock):
                now = loop.time()
                waiting_since = now if waiting_since is None else waiting_since
                if now - waiting_since >= GRACE_S:
                    with contextlib.suppress(BlockingIOError, InterruptedError):
                        return sock.accept()[0]  # another worker may have taken it just now
                    waiting_since = None
            else:
                waiting_since = None
            await asyncio.sleep(POLL_S)

    async def _take(self, conn: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        try:
            conn.setblocking(False)
            # as on the listener (hub.entrypoints.http.asgi_server.bind_socket): an answer
            # written in two sends must not wait on Nagle and a delayed ACK
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            await loop.connect_accepted_socket(self._protocol, conn, ssl=self.config.ssl)
        except (OSError, ssl.SSLError) as exc:  # the peer went away, or its TLS failed
            log.info("connection dropped before it was served", reason=str(exc))
            conn.close()
        except asyncio.CancelledError:  # stopping during a TLS handshake
            conn.close()
            raise
        finally:
            self._opening -= 1

    async def _refresh_forever(self) -> None:
        # Connections close in uvicorn's protocol; the table learns of it here.
        while True:
            await asyncio.sleep(REFRESH_S)
            self._listener.share.publish(self.held())

    def _protocol(self) -> asyncio.Protocol:
        # What uvicorn's own startup builds for each connection of its servers.
        protocol: asyncio.Protocol = self.config.http_protocol_class(  # type: ignore[call-arg]
            config=self.config, server_state=self.server_state,
            app_state=self.lifespan.state)
        return protocol

    def _spawn(self, work: Coroutine[object, object, None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _stop_if_failed(self, task: asyncio.Task[None]) -> None:
        # A worker that no longer accepts must not look alive: it stops as on SIGTERM
        # (draining), and the pool's parent starts another in its slot.
        if not task.cancelled() and task.exception() is not None:
            log.error("the pool acceptor failed; stopping this worker",
                      reason=repr(task.exception()))
            os.kill(os.getpid(), signal.SIGTERM)


def _pending(sock: socket.socket) -> bool:
    """Whether a connection waits in the socket's accept queue (poll: no limit on the
    descriptor's number, which select has)."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))
