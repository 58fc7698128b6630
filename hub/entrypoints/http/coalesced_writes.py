"""uvicorn's HTTP protocol, whose writes within one turn of the event loop leave as one.

uvicorn writes a response's head when the app sends ``http.response.start`` and
its body when the app sends ``http.response.body``: two ``send`` system calls,
two TCP segments and, for a client waiting on the answer, two wake-ups, for a
response the app produced in one go (every hub answer is a whole body). In the
P1 profile those two writes were the largest self time in the serving process
(about 8 % of its GIL samples). Here the connection's transport gathers what is
written during the current turn of the loop and sends it at the end of that
turn, in one call; nothing waits for more than that turn (a streamed response
still leaves chunk by chunk, each at the end of the turn that produced it).

Closing the connection sends what is gathered first. Everything else a transport
does (flow control, TLS details, addresses) is the real transport's.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class TurnTransport:
    """A transport whose :meth:`write` calls of one loop turn reach the wire as one write."""

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        # bytes as they are; a mutable buffer copied, as the caller may reuse it
        self._pending.append(data if isinstance(data, bytes) else bytes(data))

    def writelines(self, lines: list[bytes]) -> None:
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        """Send what this turn wrote (a no-op once sent, or when nothing was written)."""
        if not self._pending:
            return
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending.clear()
        self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(len(d) for d in self._pending)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class TurnWriteProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol on a :class:`TurnTransport`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(TurnTransport(transport, self.loop))  # type: ignore[arg-type]
