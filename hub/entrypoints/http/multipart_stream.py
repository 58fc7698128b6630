"""A ``multipart/form-data`` body read as it arrives: text fields first, then one file part
whose bytes are passed on block by block (never spooled to memory or disk).

python-multipart's push parser does the parsing; this module turns its callbacks into
"the fields so far" and "the file's next bytes". The file must be the last part, after the
fields that say what it is (the service needs to be known before its door can check a
byte): a form sending it earlier is refused, naming the order to use.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from hub.adapters.documents.errors import DocumentError

MAX_FIELD_BYTES = 4096
MAX_FIELDS = 16


class MultipartError(DocumentError):
    """Raised when a multipart upload is malformed or its parts come in an unusable order."""

    code = "multipart-malformed"
    status = 400


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str = ""
    filename: str | None = None
    content_type: str = ""
    value: bytearray = field(default_factory=bytearray)


class MultipartStream:
    """Reads one multipart request: :meth:`fields` first, then :meth:`file`."""

    def __init__(self, request: Request, file_field: str = "file") -> None:
        content_type, options = parse_options_header(request.headers.get("content-type", ""))
        boundary = options.get(b"boundary")
        if content_type != b"multipart/form-data" or not boundary:
            raise MultipartError("send the document as multipart/form-data with a boundary",
                                 field="content-type", path="header:Content-Type")
        self._chunks = request.stream()
        self._file_field = file_field
        self._part = _Part()
        self._header_name = b""
        self._header_value = b""
        self._fields: dict[str, str] = {}
        self._file_part: _Part | None = None
        self._file_data: list[bytes] = []
        self._file_ended = False
        self._ended = False
        self._parser = MultipartParser(boundary, callbacks={
            "on_part_begin": self._begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value_data,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        })

    @property
    def filename(self) -> str:
        return (self._file_part.filename or "") if self._file_part else ""

    @property
    def declared_type(self) -> str:
        return self._file_part.content_type if self._file_part else ""

    async def fields(self) -> dict[str, str]:
        """The text fields sent before the file part (reading up to its first bytes)."""
        while self._file_part is None and not self._ended:
            if not await self._feed():
                break
        if self._file_part is None:
            raise MultipartError(f"the form has no file part named {self._file_field!r}",
                                 field=self._file_field, path=f"form:{self._file_field}")
        return dict(self._fields)

    async def file(self) -> AsyncIterator[bytes]:
        """The file part's bytes, as they arrive."""
        while True:
            if self._file_data:
                data, self._file_data = b"".join(self._file_data), []
                yield data
            if self._file_ended:
                return
            if not await self._feed():
                raise MultipartError("the body ended inside the file part (no closing "
                                     "boundary)", path=f"form:{self._file_field}")

    async def _feed(self) -> bool:
        try:
            chunk = await anext(self._chunks)
        except StopAsyncIteration:
            return False
        except ClientDisconnect:
            raise MultipartError("the connection closed before the form's closing boundary "
                                 "(the upload was cut off)", path="body") from None
        if chunk:
            try:
                self._parser.write(chunk)
            except Exception as exc:  # python-multipart's errors: the body is not multipart
                if isinstance(exc, DocumentError):
                    raise
                raise MultipartError(f"the multipart body is malformed: {exc}",
                                     path="body") from None
        return True

    def _begin(self) -> None:
        if self._file_part is not None:
            raise MultipartError(f"the file part {self._file_field!r} must be the last part",
                                 path=f"form:{self._file_field}")
        self._part = _Part()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._part.headers[self._header_name.lower()] = self._header_value
        self._header_name, self._header_value = b"", b""

    def _headers_finished(self) -> None:
        part = self._part
        _, options = parse_options_header(part.headers.get(b"content-disposition", b""))
        part.name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        part.filename = filename.decode("utf-8", "replace") if filename is not None else None
        part.content_type = part.headers.get(b"content-type", b"").decode("latin-1")
        if part.name == self._file_field:
            self._file_part = part
        elif len(self._fields) >= MAX_FIELDS:
            raise MultipartError(f"more than {MAX_FIELDS} form fields", path="body")

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._part is self._file_part:
            self._file_data.append(data[start:end])
            return
        self._part.value += data[start:end]
        if len(self._part.value) > MAX_FIELD_BYTES:
            raise MultipartError(f"the form field {self._part.name!r} is longer than "
                                 f"{MAX_FIELD_BYTES} bytes", field=self._part.name,
                                 path=f"form:{self._part.name}")

    def _part_end(self) -> None:
        if self._part is self._file_part:
            self._file_ended = True
        else:
            self._fields[self._part.name] = self._part.value.decode("utf-8", "replace")

    def _end(self) -> None:
        self._ended = True
