"""The hub's listener sends a response's head and body in one write, and loses nothing.

:class:`~hub.entrypoints.http.coalesced_writes.TurnTransport` holds writes until the
end of the event loop's turn. Served through ``serve_asgi(turn_writes=True)`` (the
hub's own wiring) a whole answer leaves in one ``send``, a streamed one chunk by chunk
as produced, pipelined requests are answered in order, and a closing connection
delivers what was written before it closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from hub.entrypoints.http.asgi_server import serve_asgi
from hub.entrypoints.http.coalesced_writes import TurnTransport

STREAM_PAUSE_S = 0.3


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    assert scope["type"] == "http"
    while (await receive()).get("more_body"):
        pass
    path = scope["path"]
    if path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"first;", "more_body": True})
        await asyncio.sleep(STREAM_PAUSE_S)
        await send({"type": "http.response.body", "body": b"second"})
        return
    body = path.encode()
    headers = [(b"content-length", str(len(body)).encode())]
    if path == "/close":
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@contextlib.asynccontextmanager
async def _connection() -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    async with serve_asgi(_app, name="turn-writes", turn_writes=True) as url:
        host, port = url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            yield reader, writer
        finally:
            writer.close()


def _get(path: str, close: bool = False) -> bytes:
    extra = "Connection: close\r\n" if close else ""
    return f"GET {path} HTTP/1.1\r\nHost: hub\r\n{extra}\r\n".encode()


async def _response(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))
    return head, await asyncio.wait_for(reader.readexactly(length), 5)


async def test_keep_alive_and_pipelined_requests_are_answered_whole_and_in_order() -> None:
    async with _connection() as (reader, writer):
        for path in ("/a", "/bb"):
            writer.write(_get(path))
            head, body = await _response(reader)
            assert head.startswith(b"HTTP/1.1 200") and body == path.encode()
        writer.write(_get("/one") + _get("/two") + _get("/three"))
        assert [(await _response(reader))[1] for _ in range(3)] == [b"/one", b"/two", b"/three"]


async def test_a_streamed_response_leaves_chunk_by_chunk() -> None:
    async with _connection() as (reader, writer):
        started = time.monotonic()
        writer.write(_get("/stream"))
        await asyncio.wait_for(reader.readuntil(b"first;"), 5)
        assert time.monotonic() - started < STREAM_PAUSE_S, "the first chunk waited"
        await asyncio.wait_for(reader.readuntil(b"second"), 5)
        assert time.monotonic() - started >= STREAM_PAUSE_S


async def test_a_closing_connection_delivers_what_was_written_first() -> None:
    async with _connection() as (reader, writer):
        writer.write(_get("/close", close=True))
        head, body = await _response(reader)
        assert body == b"/close" and b"connection: close" in head.lower()
        assert await asyncio.wait_for(reader.read(), 5) == b""  # then the server closed


class _Wire(asyncio.Transport):
    """The socket's side of a transport: records each write that would be one send."""

    def __init__(self) -> None:
        super().__init__()
        self.sends: list[bytes] = []
        self.closed = False

    def write(self, data: Any) -> None:
        self.sends.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 1)}.get(name, default)


async def test_one_turns_writes_make_one_send_and_a_close_sends_first() -> None:
    wire = _Wire()
    transport = TurnTransport(wire, asyncio.get_running_loop())
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    transport.write(bytearray(b"body"))
    assert wire.sends == [] and transport.get_write_buffer_size() == 23
    await asyncio.sleep(0)
    assert wire.sends == [b"HTTP/1.1 200 OK\r\n\r\nbody"]
    transport.write(b"next")
    transport.close()
    assert wire.sends[-1] == b"next" and wire.closed
    assert transport.get_extra_info("peername") == ("127.0.0.1", 1)  # the rest is the wire's
    await asyncio.sleep(0)
    assert len(wire.sends) == 2, "the flush scheduled before the close sent nothing twice"
