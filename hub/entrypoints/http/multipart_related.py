"""A ``multipart/related`` body (SOAP with Attachments, MTOM/XOP) read as it arrives: the
root part (the SOAP envelope) whole, up to a cap, then one attachment part whose bytes are
passed on block by block.

python-multipart's push parser does the parsing, as for forms
(:mod:`hub.entrypoints.http.multipart_stream`). The root part must come first (as SwA and
MTOM senders put it; when the ``start`` parameter names it, the first part must be that
one), and the envelope names the attachment by its ``Content-ID``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import unquote

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from hub.entrypoints.http.multipart_stream import MultipartError

SWA_ROOT = "text/xml"
MTOM_ROOT = "application/xop+xml"


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    data: bytearray = field(default_factory=bytearray)

    @property
    def content_id(self) -> str:
        return content_id(self.headers.get(b"content-id", b"").decode("latin-1"))

    @property
    def content_type(self) -> str:
        return self.headers.get(b"content-type", b"").decode("latin-1")


def content_id(text: str) -> str:
    """A Content-ID or ``cid:`` reference in one canonical form (no brackets, unescaped)."""
    text = text.strip()
    if text.lower().startswith("cid:"):
        text = unquote(text[4:])
    return text.strip().removeprefix("<").removesuffix(">")


class RelatedStream:
    """Reads one ``multipart/related`` request: :meth:`root`, then :meth:`attachment`."""

    def __init__(self, request: Request) -> None:
        media, options = parse_options_header(request.headers.get("content-type", ""))
        boundary = options.get(b"boundary")
        if media != b"multipart/related" or not boundary:
            raise MultipartError("send SOAP with attachments as multipart/related with a "
                                 "boundary", field="content-type", path="header:Content-Type")
        self.root_type = options.get(b"type", b"").decode("latin-1")
        if self.root_type not in (SWA_ROOT, MTOM_ROOT):
            raise MultipartError(f"multipart/related type must be {SWA_ROOT} (SwA) or "
                                 f"{MTOM_ROOT} (MTOM), not {self.root_type or 'absent'}",
                                 field="content-type", path="header:Content-Type")
        self.start = content_id(options.get(b"start", b"").decode("latin-1"))
        self._chunks = request.stream()
        self._parts: list[_Part] = []
        self._current: _Part | None = None
        self._header_name = b""
        self._header_value = b""
        self._root_done = False
        self._attachment_data: list[bytes] = []
        self._attachment_ended = False
        self._attachment_headed = False
        self._root_limit = 0
        self._parser = MultipartParser(boundary, callbacks={
            "on_part_begin": self._begin,
            "on_header_field": lambda d, s, e: self._grow("_header_name", d[s:e]),
            "on_header_value": lambda d, s, e: self._grow("_header_value", d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._part_end,
        })

    async def root(self, limit: int) -> tuple[str, bytes]:
        """The root part's content type and bytes (at most ``limit`` bytes)."""
        self._root_limit = limit
        while not self._root_done:
            if not await self._feed():
                raise MultipartError("the package ended before its root part did", path="body")
        root = self._parts[0]
        if self.start and root.content_id != self.start:
            raise MultipartError(f"the first part is {root.content_id or 'unnamed'}, not the "
                                 f"root the start parameter names ({self.start}): send the "
                                 "envelope first", path="body")
        return root.content_type, bytes(root.data)

    async def attachment(self) -> tuple[str, str, AsyncIterator[bytes]]:
        """The next part's Content-ID, declared type and bytes (as they arrive)."""
        while not self._attachment_headed:  # its headers may span network reads
            if not await self._feed():
                raise MultipartError("the package holds no attachment part", path="body")
        part = self._parts[1]
        return part.content_id, part.content_type, self._attachment_bytes()

    async def _attachment_bytes(self) -> AsyncIterator[bytes]:
        while True:
            if self._attachment_data:
                data, self._attachment_data = b"".join(self._attachment_data), []
                yield data
            if self._attachment_ended:
                return
            if not await self._feed():
                raise MultipartError("the package ended inside the attachment (no closing "
                                     "boundary)", path="body")

    async def _feed(self) -> bool:
        try:
            chunk = await anext(self._chunks)
        except StopAsyncIteration:
            return False
        except ClientDisconnect:
            raise MultipartError("the connection closed before the package's closing "
                                 "boundary (the upload was cut off)", path="body") from None
        if chunk:
            try:
                self._parser.write(chunk)
            except MultipartError:
                raise
            except Exception as exc:  # python-multipart's errors: not a multipart body
                raise MultipartError(f"the multipart body is malformed: {exc}",
                                     path="body") from None
        return True

    def _grow(self, name: str, data: bytes) -> None:
        setattr(self, name, getattr(self, name) + data)

    def _begin(self) -> None:
        if len(self._parts) >= 2:
            raise MultipartError("one attachment per request: the package holds more parts",
                                 path="body")
        self._current = _Part()
        self._parts.append(self._current)

    def _header_end(self) -> None:
        assert self._current is not None
        self._current.headers[self._header_name.strip().lower()] = self._header_value.strip()
        self._header_name, self._header_value = b"", b""

    def _headers_finished(self) -> None:
        self._attachment_headed = len(self._parts) == 2

    def _data(self, data: bytes, start: int, end: int) -> None:
        assert self._current is not None
        if len(self._parts) == 1:
            self._current.data += data[start:end]
            if len(self._current.data) > self._root_limit:
                raise MultipartError(f"the root part is larger than {self._root_limit} bytes",
                                     path="body")
        else:
            self._attachment_data.append(data[start:end])

    def _part_end(self) -> None:
        if len(self._parts) == 1:
            self._root_done = True
        else:
            self._attachment_ended = True
