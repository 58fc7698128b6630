"""A pool worker's acceptor (hub.entrypoints.http.pool_listener) on a real socket.

Two servers stand for two workers of ``serve --workers 2``: each serves its own
descriptor of one listening socket (as each worker holds its own inherited copy)
and its own slot of one table. Clients are raw keep-alive connections, opened
in a burst as a load generator or a client's connection pool opens them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from hub.entrypoints.http.asgi_server import bind_socket, serve_asgi
from hub.entrypoints.http.connection_share import ABSENT, ConnectionShare
from hub.entrypoints.http.pool_listener import GRACE_S, PoolListener
from hub.entrypoints.http.tls_listener import TLS_EXTENSION, TlsFiles
from tests.integration.tls_certificates import LoopbackCa, client_context

Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def _named(name: str) -> Callable[..., Any]:
    async def app(scope: dict[str, Any], receive: Callable[..., Any],
                  send: Callable[..., Any]) -> None:
        body = name.encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
    return app


async def _ask(streams: Streams) -> str:
    """One request on a kept-alive connection; the name of the server that answered."""
    reader, writer = streams
    writer.write(b"GET / HTTP/1.1\r\nHost: pool\r\n\r\n")
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length"))
    return (await reader.readexactly(length)).decode()


@contextlib.asynccontextmanager
async def _pool(names: list[str], table: ConnectionShare) -> AsyncIterator[str]:
    """Servers named ``names`` sharing one socket and ``table``; yields the URL."""
    sock = bind_socket()
    try:
        async with contextlib.AsyncExitStack() as stack:
            url = ""
            for slot, name in enumerate(names):
                listener = PoolListener(sock.dup(), ConnectionShare(table.fd, slot))
                stack.callback(listener.share.close)
                url = await stack.enter_async_context(
                    serve_asgi(_named(name), pool=listener, name=name))
            yield url
    finally:
        sock.close()


@contextlib.contextmanager
def _table(slots: int) -> Iterator[ConnectionShare]:
    table = ConnectionShare.create(slots)
    try:
        yield table
    finally:
        table.close()
        os.close(table.fd)


async def _connect(url: str, count: int) -> list[Streams]:
    host, port = url.removeprefix("http://").split(":")
    return list(await asyncio.gather(*(asyncio.open_connection(host, int(port))
                                       for _ in range(count))))


async def test_a_burst_of_kept_alive_connections_is_split_evenly_between_two_workers() -> None:
    """Sixteen connections opened at once end up eight and eight (one apart at most), each
    answered by the worker that took it, on every request it sends; the table counts them,
    and a worker that stops withdraws from it."""
    with _table(2) as table:
        async with _pool(["a", "b"], table) as url:
            clients = await _connect(url, 16)
            try:
                answers = [await _ask(c) for c in clients]
                again = [await _ask(c) for c in clients]
                held = Counter(answers)
                assert abs(held["a"] - held["b"]) <= 1, held
                assert again == answers  # kept alive, each with its worker
                assert table.count(0) + table.count(1) == 16
            finally:
                for _, writer in clients:
                    writer.close()
        assert [table.count(0), table.count(1)] == [ABSENT, ABSENT]


async def test_a_worker_holding_more_still_takes_a_connection_nobody_else_takes() -> None:
    """The other worker's slot says it holds nothing, but it serves nothing (it died before
    the parent withdrew it): the only live worker takes the waiting connection after the
    grace, not never."""
    with _table(2) as table:
        ghost = ConnectionShare(table.fd, 1)
        ghost.publish(0)
        try:
            async with _pool(["a"], table) as url:
                first = (await _connect(url, 1))[0]
                assert await _ask(first) == "a"  # 0 <= 0: taken at once
                started = time.monotonic()
                second = (await _connect(url, 1))[0]
                assert await asyncio.wait_for(_ask(second), 5) == "a"
                assert time.monotonic() - started >= GRACE_S
                for _, writer in (first, second):
                    writer.close()
        finally:
            ghost.close()


async def test_a_pool_worker_terminates_tls_and_hands_the_client_certificate_on(
        tmp_path: Path) -> None:
    """With the hub's TLS settings a pool worker's connections are TLS, handshake and
    verified client certificate included, as on a lone hub's listener."""
    ca = LoopbackCa(tmp_path)
    server, client = ca.server("hub"), ca.client("bound", "tax-legacy")
    seen: list[str] = []

    async def app(scope: dict[str, Any], receive: Callable[..., Any],
                  send: Callable[..., Any]) -> None:
        chain = (scope.get("extensions") or {}).get(TLS_EXTENSION, {}).get("client_cert_chain")
        seen.append(chain[0] if chain else "")
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    with _table(2) as table:
        listener = PoolListener(bind_socket(), ConnectionShare(table.fd, 0))
        try:
            tls = TlsFiles(server.cert, server.key, ca.bundle).uvicorn_options()
            async with serve_asgi(app, pool=listener, tls=tls) as url:
                async with httpx.AsyncClient(verify=client_context(ca, client)) as http:
                    answer = await http.get(f"{url}/")
        finally:
            listener.share.close()
    assert answer.status_code == 204
    assert seen and "BEGIN CERTIFICATE" in seen[0]
