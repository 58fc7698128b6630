"""The door: every byte of a document passes these checks on its way to the store.

The checks run on the stream, so a document is refused as soon as its fault shows (the
first KiB for its type, the byte over the limit for its size) and never held whole:

- **size**: more bytes than the service's ``max_bytes`` (or than the upload declared);
- **media type**: sniffed from the first bytes, the declared type not trusted; refused
  unless on the service's allow-list;
- **active content**: a PDF's JavaScript or embedded files (and an object stream that
  cannot be scanned), unless the service allows them; known only at the last byte.

It also computes the SHA-256 of the plain bytes recorded in ``DocumentSupplied``.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterable, AsyncIterator

from hub.adapters.documents.errors import (
    ActiveContentRefused,
    DocumentTooLarge,
    MediaTypeRefused,
)
from hub.adapters.documents.pdf_scan import EMBEDDED_FILE, JAVASCRIPT, UNSCANNABLE, PdfScanner
from hub.adapters.documents.sniffing import PDF, SNIFF_BYTES, sniff
from hub.service_layer.documents.policy import DocumentPolicy

_MEANING = {
    JAVASCRIPT: "JavaScript",
    EMBEDDED_FILE: "an embedded file",
    UNSCANNABLE: "an object stream the hub cannot scan (save the PDF again without LZW or "
                 "ASCII85 object streams)",
}


class Door:
    """Checks one document's bytes as they stream through :meth:`check`."""

    def __init__(self, policy: DocumentPolicy, service: str, *, declared_size: int | None = None
                 ) -> None:
        self.policy = policy
        self.service = service
        self.limit = policy.max_bytes if declared_size is None else min(policy.max_bytes,
                                                                          declared_size)
        self.declared_size = declared_size
        self.size = 0
        self.media_type = ""
        self._digest = hashlib.sha256()
        self._head = bytearray()
        self._pdf: PdfScanner | None = None

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the bytes that passed so far (all of them once checked)."""
        return self._digest.hexdigest()

    async def check(self, plain: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
        """The same bytes, passed on only once they are known to be acceptable so far."""
        async for block in plain:
            if not block:
                continue
            self._count(block)
            if not self.media_type:
                self._head += block
                if len(self._head) < SNIFF_BYTES:
                    continue
                block, self._head = bytes(self._head), bytearray()
                self._judge_type(block)
            self._pass(block)
            yield block
        if not self.media_type:  # a document shorter than the sniffing window
            block, self._head = bytes(self._head), bytearray()
            self._judge_type(block)
            self._pass(block)
            yield block
        self._finish()

    def _count(self, block: bytes) -> None:
        self.size += len(block)
        if self.size > self.limit:
            if self.declared_size is not None and self.limit == self.declared_size:
                reason = (f"more bytes arrived than the {self.declared_size} the upload "
                          "declared")
            else:
                reason = (f"the document is larger than the {self.policy.max_bytes} bytes "
                          f"{self.service} accepts")
            raise DocumentTooLarge(reason, field="size", path="body")

    def _judge_type(self, head: bytes) -> None:
        self.media_type = sniff(head)
        if self.media_type not in self.policy.media_types:
            raise MediaTypeRefused(
                f"the bytes are {self.media_type} (told from the bytes, not the declared type); "
                f"{self.service} accepts {', '.join(self.policy.media_types)}",
                field="media_type", path="body")
        if self.media_type == PDF:
            self._pdf = PdfScanner()

    def _pass(self, block: bytes) -> None:
        self._digest.update(block)
        if self._pdf is not None:
            self._pdf.feed(block)

    def _finish(self) -> None:
        if self.declared_size is not None and self.size != self.declared_size:
            raise DocumentTooLarge(
                f"the upload declared {self.declared_size} bytes but {self.size} arrived",
                field="size", path="body", issue="size-mismatch")
        if self._pdf is None:
            return
        found = self._pdf.finish()
        refused = set(found)
        if self.policy.allow_pdf_javascript:
            refused.discard(JAVASCRIPT)
        if self.policy.allow_pdf_embedded_files:
            refused.discard(EMBEDDED_FILE)
        if refused:
            what = " and ".join(_MEANING[kind] for kind in sorted(refused))
            raise ActiveContentRefused(
                f"the PDF carries {what}; {self.service} does not accept active content in "
                "documents", field="content", path="body", issue=sorted(refused)[0])
