"""The links' own NATS connection: requests to peers, and subscriptions for their requests.

One owner per connection (STYLE, nats.py): the bus keeps its connection for
JetStream and replies inside the region; this one carries ``fed.*`` traffic to
and from other regions across the leaf-node links. Every network await has a
timeout, and ``nats.errors`` become :class:`hub.adapters.peers.errors.LinkError` here only.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import nats
import nats.errors
import structlog
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from hub.adapters.nats.servers import servers
from hub.adapters.peers.errors import LinkError, PeerUnreachable

log = structlog.get_logger("hub.adapters.peers")

_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Request:
    """One request from a peer: what it asked, and how to answer it."""

    subject: str
    data: bytes
    headers: Mapping[str, str]
    reply: str


@dataclass(frozen=True)
class Reply:
    """Reply bytes, and what to do once they are sent (record that the asker has its answer)."""

    data: bytes
    then: Callable[[], Awaitable[None]] | None = None


RequestHandler = Callable[[Request], Awaitable[bytes | Reply | None]]


class LinkConnection:
    """A NATS connection for cross-region requests; use :meth:`connect`, then :meth:`close`."""

    def __init__(self, nc: NatsClient, region: str, concurrency: int) -> None:
        self._nc = nc
        self.region = region
        self._slots = asyncio.Semaphore(concurrency)
        self._running: set[asyncio.Task[None]] = set()
        self._subscriptions: list[Subscription] = []

    @classmethod
    async def connect(
        cls, url: str, region: str, *, concurrency: int = 64, auth: dict[str, Any] | None = None
    ) -> LinkConnection:
        """Connect to the region's own server (the leaf links reach the peers from there)."""
        try:
            nc = await nats.connect(
                servers(url),  # a cluster: every node's URL
                **(auth or {}),
                name=f"interop-hub-{region}-links",
                connect_timeout=5,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.5,
                error_cb=_log_error,
            )
        except (TimeoutError, nats.errors.Error, OSError) as exc:
            raise LinkError(f"cannot connect to NATS at {url}: {exc!r}") from exc
        return cls(nc, region, concurrency)

    async def request(
        self,
        peer: str,
        subject: str,
        data: bytes,
        *,
        timeout_s: float,
        headers: Mapping[str, str] | None = None,
    ) -> Msg:
        """Ask ``peer`` on ``subject``; PeerUnreachable when nobody answers in time."""
        try:
            return await self._nc.request(
                subject, data, timeout=timeout_s, headers=dict(headers) if headers else None
            )
        except nats.errors.NoRespondersError:
            raise PeerUnreachable(peer, subject, "no hub of that region listens") from None
        except (TimeoutError, nats.errors.TimeoutError):
            raise PeerUnreachable(peer, subject, f"no answer within {timeout_s:g} s") from None
        except nats.errors.Error as exc:
            raise PeerUnreachable(peer, subject, f"NATS error {exc!r}") from exc

    async def publish(self, subject: str, data: bytes) -> None:
        """Fire and forget (gossip): lost if no peer listens, which the pulls make up for."""
        try:
            await self._nc.publish(subject, data)
        except nats.errors.Error as exc:
            raise LinkError(f"publish to {subject} failed: {exc!r}") from exc

    async def serve(self, subject: str, handler: RequestHandler, *, queue: str = "") -> None:
        """Answer requests on ``subject``: each in its own task, at most ``concurrency`` at once.

        The handler returns the reply bytes (None: no reply), or a :class:`Reply`
        whose ``then`` runs once the bytes are sent, off the requester's latency. A
        handler that raises is logged and leaves the requester to its timeout.
        """

        async def on_message(msg: Msg) -> None:
            # nats.py calls back one message at a time per subscription: a slow answer
            # (a query waits for its provider) must not hold up the next request.
            await self._slots.acquire()
            task = asyncio.create_task(self._answer(handler, msg))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

        await self._subscribe(subject, on_message, queue)

    async def listen(self, subject: str, handler: Callable[[Msg], Awaitable[None]]) -> None:
        """Receive published messages on ``subject`` (one at a time, in order)."""
        await self._subscribe(subject, handler, "")

    async def _subscribe(
        self, subject: str, handler: Callable[[Msg], Awaitable[None]], queue: str
    ) -> None:
        try:
            self._subscriptions.append(await self._nc.subscribe(subject, queue=queue, cb=handler))
            await self._nc.flush(timeout=_TIMEOUT_S)
        except (TimeoutError, nats.errors.Error) as exc:
            raise LinkError(f"cannot subscribe to {subject}: {exc!r}") from exc

    async def _answer(self, handler: RequestHandler, msg: Msg) -> None:
        try:
            request = Request(msg.subject, msg.data, msg.headers or {}, msg.reply)
            reply = await handler(request)
            answer = Reply(reply) if isinstance(reply, bytes) else reply
            if answer is not None and msg.reply:
                await self._nc.publish(msg.reply, answer.data)
            if answer is not None and answer.then is not None:
                await answer.then()
        except Exception:
            log.exception("answering a peer's request failed", subject=msg.subject)
        finally:
            self._slots.release()

    async def close(self) -> None:
        """Stop taking requests, let running answers finish (bounded), then drain."""
        for subscription in self._subscriptions:
            with contextlib.suppress(nats.errors.Error, asyncio.TimeoutError):
                await asyncio.wait_for(subscription.unsubscribe(), timeout=_TIMEOUT_S)
        if self._running:
            _, late = await asyncio.wait(set(self._running), timeout=_TIMEOUT_S)
            for task in late:
                task.cancel()
        with contextlib.suppress(nats.errors.Error, asyncio.TimeoutError):
            await asyncio.wait_for(self._nc.drain(), timeout=_TIMEOUT_S)


async def _log_error(exc: Exception) -> None:
    log.warning("links nats connection error", error=repr(exc))
