"""SOAP messages with attachments on the wire: ``multipart/related`` packages, written and read
as streams (SOAP with Attachments, and MTOM/XOP).

- :func:`package` writes a package: the root part (the envelope), then each attachment part
  whose bytes are passed on block by block as its source yields them; nothing is joined.
- :class:`RelatedReader` reads one: the root part whole (up to a cap), then each attachment
  part as an async iterator of blocks, each part bounded by a byte cap. python-multipart's
  push parser does the parsing. It refuses a package whose Content-IDs repeat, a part over
  its cap, or a root that is not first.

Pure functions over bytes and streams: the documents behind the parts are the caller's.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote

from python_multipart.multipart import MultipartParser, parse_options_header

from contracts.errors import FieldIssue
from translation.errors import MalformedInput

Packaging = Literal["swa", "mtom"]
SWA_ROOT = "text/xml"
MTOM_ROOT = "application/xop+xml"
XOP_NS = "http://www.w3.org/2004/08/xop/include"
_ROOT_ID = "envelope@interop-hub"


class AttachmentError(MalformedInput):
    """Raised when a package's parts are wrong: repeated Content-ID, a part over its cap, a
    reference that names no part, a missing part, a root that is not first."""

    code = "attachment-invalid"

    def __init__(self, reason: str, code: str, path: str = "multipart") -> None:
        super().__init__(reason, issues=(FieldIssue(path=path, reason=reason, code=code),))
        self.code = code  # the precise reason, as a recorded refusal names it


def content_id(text: str) -> str:
    """A Content-ID or ``cid:`` reference in one canonical form (no brackets, unescaped)."""
    text = text.strip()
    if text.lower().startswith("cid:"):
        text = unquote(text[4:])
    return text.strip().removeprefix("<").removesuffix(">")


def new_content_id(index: int) -> str:
    """A fresh Content-ID for the ``index``-th attachment of a message."""
    return f"part{index}.{uuid.uuid4().hex}@interop-hub"


@dataclass(frozen=True)
class OutgoingPart:
    """One attachment to send: its Content-ID, media type and bytes (as a stream)."""

    content_id: str
    media_type: str
    chunks: AsyncIterable[bytes]


@dataclass(frozen=True)
class Package:
    """A package's ``Content-Type`` header and its body, streamed."""

    content_type: str
    body: AsyncIterator[bytes]


def package(envelope: bytes, parts: Sequence[OutgoingPart], packaging: Packaging) -> Package:
    """The ``multipart/related`` package of ``envelope`` (SOAP 1.1) and ``parts``."""
    boundary = f"=_interop-hub_{uuid.uuid4().hex}"
    if packaging == "mtom":
        root_type = 'application/xop+xml; charset=utf-8; type="text/xml"'
        header = (f'multipart/related; type="{MTOM_ROOT}"; boundary="{boundary}"; '
                  f'start="<{_ROOT_ID}>"; start-info="text/xml"')
    else:
        root_type = "text/xml; charset=utf-8"
        header = (f'multipart/related; type="{SWA_ROOT}"; boundary="{boundary}"; '
                  f'start="<{_ROOT_ID}>"')
    return Package(header, _body(boundary, root_type, envelope, parts))


async def _body(boundary: str, root_type: str, envelope: bytes,
                parts: Sequence[OutgoingPart]) -> AsyncIterator[bytes]:
    dash = f"--{boundary}\r\n".encode()
    yield (dash + f"Content-Type: {root_type}\r\nContent-Transfer-Encoding: 8bit\r\n"
           f"Content-ID: <{_ROOT_ID}>\r\n\r\n".encode() + envelope + b"\r\n")
    for part in parts:
        yield (dash + f"Content-Type: {part.media_type}\r\nContent-Transfer-Encoding: binary"
               f"\r\nContent-ID: <{part.content_id}>\r\n\r\n".encode())
        async for chunk in part.chunks:
            if chunk:
                yield chunk
        yield b"\r\n"
    yield f"--{boundary}--\r\n".encode()


def is_related(content_type: str) -> bool:
    """Whether a ``Content-Type`` header announces a ``multipart/related`` package."""
    return content_type.split(";", 1)[0].strip().lower() == "multipart/related"


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    size: int = 0

    @property
    def content_id(self) -> str:
        return content_id(self.headers.get(b"content-id", b"").decode("latin-1"))

    @property
    def media_type(self) -> str:
        value = self.headers.get(b"content-type", b"").decode("latin-1")
        return value.split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class IncomingPart:
    """One attachment read from a package: Content-ID, declared type, bytes as they arrive."""

    content_id: str
    media_type: str
    chunks: AsyncIterator[bytes]


class RelatedReader:
    """Reads one ``multipart/related`` package: :meth:`root`, then :meth:`parts`.

    Holds at most the root (``root_limit``) and the blocks of one network read; an
    attachment's bytes must be consumed before the next part is read.
    """

    def __init__(self, content_type: str, chunks: AsyncIterator[bytes], *, root_limit: int,
                 part_limit: int) -> None:
        media, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if media != b"multipart/related" or not boundary:
            raise AttachmentError(f"not a multipart/related package with a boundary: "
                                  f"{content_type!r}", "attachment-package",
                                  "header:Content-Type")
        self.root_type = options.get(b"type", b"").decode("latin-1")
        self.packaging: Packaging = "mtom" if self.root_type == MTOM_ROOT else "swa"
        self.start = content_id(options.get(b"start", b"").decode("latin-1"))
        self._chunks = chunks
        self._root_limit = root_limit
        self._part_limit = part_limit
        self._parts: list[_Part] = []
        self._root = bytearray()
        self._pending: dict[int, list[bytes]] = {}
        self._ended: set[int] = set()
        self._headed: set[int] = set()
        self._done = False
        self._name = b""
        self._value = b""
        self._parser = MultipartParser(boundary, callbacks={
            "on_part_begin": self._begin,
            "on_header_field": lambda d, s, e: self._grow("_name", d[s:e]),
            "on_header_value": lambda d, s, e: self._grow("_value", d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": lambda: self._ended.add(len(self._parts) - 1),
            "on_end": lambda: setattr(self, "_done", True),
        })

    async def root(self) -> bytes:
        """The root part's bytes (the SOAP envelope), which must be the first part."""
        while 0 not in self._ended:
            if not await self._feed():
                raise AttachmentError("the package ended before its root part did",
                                      "attachment-package")
        first = self._parts[0]
        if self.start and first.content_id != self.start:
            raise AttachmentError(f"the first part is {first.content_id or 'unnamed'}, not the "
                                  f"root the start parameter names ({self.start})",
                                  "attachment-root")
        return bytes(self._root)

    async def parts(self) -> AsyncIterator[IncomingPart]:
        """Each attachment part after the root, in order."""
        index = 1
        while True:
            while index not in self._headed:  # a part's headers may span network reads
                if self._done:
                    return
                if not await self._feed():
                    raise AttachmentError("the package ended without its closing boundary "
                                          "(cut off)", "attachment-package")
            part = self._parts[index]
            yield IncomingPart(part.content_id, part.media_type, self._bytes(index))
            while index not in self._ended:  # what the consumer left unread is skipped
                self._pending.pop(index, None)
                if not await self._feed():
                    raise AttachmentError("the package ended inside an attachment (no closing "
                                          "boundary)", "attachment-package")
            self._pending.pop(index, None)
            index += 1

    async def _bytes(self, index: int) -> AsyncIterator[bytes]:
        while True:
            if self._pending.get(index):
                data = b"".join(self._pending.pop(index))
                yield data
            if index in self._ended:
                return
            if not await self._feed():
                raise AttachmentError("the package ended inside an attachment (no closing "
                                      "boundary)", "attachment-package")

    async def _feed(self) -> bool:
        try:
            chunk = await anext(self._chunks)
        except StopAsyncIteration:
            return False
        if chunk:
            try:
                self._parser.write(chunk)
            except AttachmentError:
                raise
            except Exception as exc:  # python-multipart's errors: not a multipart body
                raise AttachmentError(f"the multipart body is malformed: {exc}",
                                      "attachment-package") from None
        return True

    def _grow(self, name: str, data: bytes) -> None:
        setattr(self, name, getattr(self, name) + data)

    def _begin(self) -> None:
        self._parts.append(_Part())

    def _header_end(self) -> None:
        self._parts[-1].headers[self._name.strip().lower()] = self._value.strip()
        self._name, self._value = b"", b""

    def _headers_finished(self) -> None:
        current = self._parts[-1]
        self._headed.add(len(self._parts) - 1)
        if len(self._parts) == 1:
            return
        if not current.content_id:
            raise AttachmentError(f"attachment part {len(self._parts) - 1} has no Content-ID",
                                  "attachment-content-id")
        if any(p.content_id == current.content_id for p in self._parts[:-1]):
            raise AttachmentError(f"two parts carry the Content-ID <{current.content_id}>",
                                  "attachment-duplicate-id", f"cid:{current.content_id}")

    def _data(self, data: bytes, start: int, end: int) -> None:
        current = self._parts[-1]
        current.size += end - start
        if len(self._parts) == 1:
            if current.size > self._root_limit:
                raise AttachmentError(f"the root part is larger than {self._root_limit} bytes",
                                      "attachment-too-large")
            self._root += data[start:end]
            return
        if current.size > self._part_limit:
            raise AttachmentError(f"attachment <{current.content_id}> is larger than "
                                  f"{self._part_limit} bytes", "attachment-too-large",
                                  f"cid:{current.content_id}")
        self._pending.setdefault(len(self._parts) - 1, []).append(data[start:end])
