"""JavaScript and embedded files in a PDF, found while its bytes stream past.

A PDF names what it carries with *name tokens*: ``/JavaScript`` or ``/JS`` for script
actions, ``/EmbeddedFile(s)`` and ``/FileAttachment`` for files inside it. The scanner
reads every name token, decoding ``#xx`` escapes first (``/J#61vaScript`` is
``/JavaScript``), so spelling a name differently does not hide it.

Names can also hide inside compressed streams: since PDF 1.5 whole objects may sit in a
Flate-compressed object stream (``/ObjStm``). The scanner therefore inflates every
``/FlateDecode`` stream, a bounded slice at a time, and scans what comes out. Streams under
an image filter (DCT, JPX, CCITT, JBIG2) hold pixels, not objects, and are skipped to their
``endstream`` (scanning compressed pixels for names would refuse innocent scans by chance).
An object stream under a filter the scanner cannot undo (LZW, ASCII85…) cannot be checked,
and is refused as such: a refusal the supplier can fix by saving the PDF normally.

Why not a PDF library: the well-kept ones (pikepdf/qpdf, pypdf) need the whole file,
seekable, before they parse it — on disk or in memory — and the hub streams documents
without ever holding them whole or writing plain bytes to a local disk. The price: the scan
is conservative — a literal string that happens to read ``(/JS)`` in an uncompressed
content stream is refused too.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field

JAVASCRIPT = "javascript"
EMBEDDED_FILE = "embedded-file"
UNSCANNABLE = "unscannable"

_KINDS = {
    b"JavaScript": JAVASCRIPT,
    b"JS": JAVASCRIPT,
    b"EmbeddedFile": EMBEDDED_FILE,
    b"EmbeddedFiles": EMBEDDED_FILE,
    b"FileAttachment": EMBEDDED_FILE,
}
_IMAGE_FILTERS = {b"DCTDecode", b"JPXDecode", b"CCITTFaxDecode", b"JBIG2Decode"}
_TEXT_FILTERS = {b"ASCII85Decode", b"ASCIIHexDecode", b"LZWDecode", b"RunLengthDecode",
                 b"A85", b"AHx", b"LZW", b"RL", b"Crypt"}
_TOKEN = re.compile(rb"/[^\s/<>\[\](){}%]*|\bendstream\b|\bstream(?:\r\n|\n|\r)|\bobj\b")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_HOLD = 16  # bytes kept back at a block's end: a keyword may continue in the next block
_MAX_NAME = 1024  # longer than any legal name (127): taken as it is rather than held back
_SLICE = 64 * 1024  # inflated at a time
MAX_INFLATED = 1 << 30
"""Total inflated bytes scanned per document before it is refused as unscannable."""


def decode_name(raw: bytes) -> bytes:
    """A name token without its slash, ``#xx`` escapes decoded."""
    return _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw[1:])


@dataclass
class _Names:
    """Name tokens of uncompressed text (an inflated stream), found across blocks."""

    found: set[str]
    carry: bytes = b""

    def feed(self, block: bytes, final: bool = False) -> None:
        text = self.carry + block
        cut = len(text) if final else max(0, len(text) - _HOLD)
        for match in _TOKEN.finditer(text):
            if match.end() > cut and match.end() - match.start() < _MAX_NAME and not final:
                cut = min(cut, match.start())
                break
            if match.group().startswith(b"/"):
                kind = _KINDS.get(decode_name(match.group()))
                if kind:
                    self.found.add(kind)
        self.carry = text[cut:]


@dataclass
class PdfScanner:
    """Feed a PDF's bytes in order; ``found`` names what it carries (empty: nothing active)."""

    found: set[str] = field(default_factory=set)
    inflated: int = 0
    _carry: bytes = b""
    _mode: str = "raw"  # raw | inflate | skip
    _filters: set[bytes] = field(default_factory=set)
    _object_stream: bool = False
    _inflater: zlib._Decompress | None = None
    _inner: _Names | None = None

    def feed(self, block: bytes) -> None:
        """Scan the next bytes of the document."""
        data = self._carry + block
        self._carry = b""
        while data:
            if self._mode == "inflate":
                data = self._inflate(data)
            elif self._mode == "skip":
                data = self._skip(data)
            else:
                data = self._raw(data, final=False)

    def finish(self) -> set[str]:
        """The kinds found, once every byte was fed."""
        if self._mode == "raw" and self._carry:
            data, self._carry = self._carry, b""
            self._raw(data, final=True)
        if self._inner is not None:
            self._inner.feed(b"", final=True)
        return self.found

    def _raw(self, data: bytes, *, final: bool) -> bytes:
        """Scan uncompressed bytes; returns what follows a ``stream`` keyword (else b"")."""
        cut = len(data) if final else max(0, len(data) - _HOLD)
        for match in _TOKEN.finditer(data):
            token = match.group()
            if match.end() > cut and not final and match.end() - match.start() < _MAX_NAME:
                cut = min(cut, match.start())
                break
            if token.startswith(b"/"):
                self._name(decode_name(token))
            elif token == b"obj":
                self._filters, self._object_stream = set(), False
            elif token.startswith(b"stream"):
                self._begin_stream()
                return data[match.end():]
        self._carry = data[cut:]
        return b""

    def _name(self, name: bytes) -> None:
        kind = _KINDS.get(name)
        if kind:
            self.found.add(kind)
        elif name == b"ObjStm":
            self._object_stream = True
        elif name in _IMAGE_FILTERS or name in _TEXT_FILTERS or name in (b"FlateDecode", b"Fl"):
            self._filters.add(name)

    def _begin_stream(self) -> None:
        text_filters = self._filters & _TEXT_FILTERS
        flate = bool(self._filters & {b"FlateDecode", b"Fl"})
        if text_filters and self._object_stream:
            self.found.add(UNSCANNABLE)
            self._mode = "skip"
        elif flate and not text_filters:
            self._mode = "inflate"
            self._inflater = zlib.decompressobj()
            self._inner = _Names(self.found)
        elif self._filters & (_IMAGE_FILTERS | _TEXT_FILTERS):
            self._mode = "skip"  # pixels, or text-encoded data that holds no objects
        # else: an unfiltered stream stays "raw": its names are scanned as they are
        self._filters = set()

    def _inflate(self, data: bytes) -> bytes:
        assert self._inflater is not None and self._inner is not None
        try:
            while data and not self._inflater.eof:
                out = self._inflater.decompress(data, _SLICE)
                data = self._inflater.unconsumed_tail
                self.inflated += len(out)
                if self.inflated > MAX_INFLATED:
                    self.found.add(UNSCANNABLE)
                    self._mode = "skip"
                    return data
                self._inner.feed(out)
        except zlib.error:
            # Not Flate after all: whatever it holds cannot be read, so cannot hide objects
            # a reader would run, unless it claims to be an object stream.
            if self._object_stream:
                self.found.add(UNSCANNABLE)
            self._mode = "skip"
            return data
        if self._inflater.eof:
            self._inner.feed(b"", final=True)
            rest = self._inflater.unused_data
            self._inflater, self._inner, self._mode = None, None, "raw"
            self._object_stream = False
            return rest + data
        return b""

    def _skip(self, data: bytes) -> bytes:
        end = data.find(b"endstream")
        if end < 0:
            self._carry = data[-8:]
            return b""
        self._mode = "raw"
        self._object_stream = False
        return data[end:]
