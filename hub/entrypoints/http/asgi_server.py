"""Run an ASGI app with uvicorn on a loopback socket inside the current event loop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import uvicorn

from hub.entrypoints.http.coalesced_writes import TurnWriteProtocol
from hub.entrypoints.http.pool_listener import PoolListener, PoolServer


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """Bind a listening TCP socket; port 0 picks a free one (no race with another binder)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets whose proto says TCP,
    # and accepted sockets inherit it. Without it, Nagle plus delayed ACK held every
    # answer sent in two writes (headers, then body) for about 40 ms.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(512)
    sock.setblocking(False)
    return sock


@contextlib.asynccontextmanager
async def serve_asgi(
    app: Any, *, host: str = "127.0.0.1", port: int = 0, name: str = "http",
    sock: socket.socket | None = None,
    pool: PoolListener | None = None,
    tls: dict[str, Any] | None = None,
    turn_writes: bool = False,
) -> AsyncIterator[str]:
    """Serve ``app`` until the block exits; yields the base URL (``http://127.0.0.1:PORT``).

    ``tls`` holds uvicorn's TLS options (:meth:`hub.entrypoints.http.tls_listener.TlsFiles.
    uvicorn_options`); with them the URL is ``https://``.

    The socket is bound before uvicorn starts, so the URL is valid the moment it
    is yielded, and the server is shut down gracefully (in-flight requests
    finish, bounded by a timeout) when the block exits.

    ``sock``: a listening socket to serve instead of binding ``host:port``.
    ``pool``: the socket the workers of ``serve --workers N`` share, of which this
    process takes its share of connections (:mod:`hub.entrypoints.http.pool_listener`).
    ``turn_writes``: a response's head and body leave in one write
    (:mod:`hub.entrypoints.http.coalesced_writes`); the hub's own listener does this,
    the emulated departments keep uvicorn's two writes.
    """
    if pool is not None:
        sock = pool.sock
    elif sock is None:
        sock = bind_socket(host, port)
    sock.setblocking(False)
    host, bound_port = sock.getsockname()[:2]
    # httptools parses in C; uvicorn's default h11 (pure Python) cost several per cent
    # of the hub's CPU per query on the ingress alone. TLS with client certificates
    # brings its own protocol (the certificate reaches the app through it) and wins.
    options: dict[str, Any] = {"http": TurnWriteProtocol if turn_writes else "httptools",
                               **(tls or {})}
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=5,
        server_header=False,
        **options,
    )
    server = uvicorn.Server(config) if pool is None else PoolServer(config, pool)
    # Signals belong to the process owner (CLI), not to each embedded server.
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve(sockets=[sock]), name=f"uvicorn-{name}")
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError(f"{name} server stopped before it started")
            await asyncio.sleep(0.005)
        display_host = f"[{host}]" if ":" in host else host
        yield f"{'https' if tls else 'http'}://{display_host}:{bound_port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=10)
        sock.close()
