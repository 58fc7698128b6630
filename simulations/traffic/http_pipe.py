"""A lean keep-alive HTTP/1.1 client connection for load and benchmarks (loopback only).

httpx costs more CPU per request than the servers it would measure; this sends
prebuilt request bytes over one asyncio stream and reads the status line, the
headers and a ``Content-Length`` body, nothing else (no chunked bodies, no
redirects, no TLS). A server that answers otherwise is an error, not a guess.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from contracts.errors import HubError

_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


class HttpPipeError(HubError):
    """Raised when a load target is not loopback, refuses, or answers outside HTTP/1.1 basics."""

    code = "load-http-error"


@dataclass(frozen=True)
class Prepared:
    """One request ready to send: where, its bytes, a label for the counts, the success status."""

    kind: str
    url: str
    data: bytes
    expect: int = 200


def loopback_target(url: str) -> tuple[str, int]:
    """(host, port) of ``url``; refuses anything but a loopback http:// address."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "http" or host not in _LOOPBACK or parts.port is None:
        raise HttpPipeError(f"load targets must be http://<loopback>:<port>, not {url!r}")
    return host, parts.port


def prepare(
    kind: str, url: str, path: str, body: bytes, headers: Mapping[str, str], *, expect: int = 200
) -> Prepared:
    """A POST of ``body`` to ``path`` on ``url``'s host, with ``headers`` and keep-alive."""
    host, port = loopback_target(url)
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    return Prepared(kind, url, data, expect)


class Connection:
    """One keep-alive connection; one request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, url: str, *, timeout_s: float = 10.0) -> Connection:
        host, port = loopback_target(url)
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port, limit=1 << 20), timeout_s)
        except (OSError, TimeoutError) as exc:
            raise HttpPipeError(f"cannot connect to {url}: {exc!r}") from None
        return cls(reader, writer)

    async def send(self, request: Prepared, *, timeout_s: float = 30.0) -> tuple[int, bytes]:
        """(status, body) of one request; raises HttpPipeError on a broken exchange."""
        try:
            async with asyncio.timeout(timeout_s):
                self._writer.write(request.data)
                head = await self._reader.readuntil(b"\r\n\r\n")
                status, length = _parse_head(head)
                body = await self._reader.readexactly(length) if length else b""
        except (OSError, TimeoutError, asyncio.IncompleteReadError,
                asyncio.LimitOverrunError) as exc:
            raise HttpPipeError(f"{request.kind}: broken exchange: {exc!r}") from None
        return status, body

    async def close(self) -> None:
        self._writer.close()
        try:
            await asyncio.wait_for(self._writer.wait_closed(), 2.0)
        except (OSError, TimeoutError):
            pass


def _parse_head(head: bytes) -> tuple[int, int]:
    lines = head.split(b"\r\n")
    try:
        status = int(lines[0].split(b" ", 2)[1])
    except (IndexError, ValueError):
        raise HttpPipeError(f"not an HTTP status line: {lines[0][:80]!r}") from None
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        lowered = name.strip().lower()
        if lowered == b"content-length":
            length = int(value.strip())
        elif lowered == b"transfer-encoding":
            raise HttpPipeError(f"transfer-encoding {value.strip()!r} is not supported")
    if length is None:
        raise HttpPipeError(f"answer {status} has no Content-Length")
    return status, length
