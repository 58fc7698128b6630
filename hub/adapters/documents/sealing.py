"""Chunked AES-256-GCM: how a document's bytes are sealed before they are stored.

The plain bytes are cut into chunks of :data:`PLAIN_CHUNK` bytes (the last may be shorter,
even empty: an empty document is one empty final chunk). Each chunk is stored as::

    nonce (12 random bytes) ‖ AES-256-GCM(key, nonce, chunk, aad)

with the associated data binding the chunk to its place::

    "interop-hub/document/v1" NUL document id NUL subject NUL kid NUL index (8 bytes) final (1 byte)

so a chunk moved to another document, another position (reordering), or a stream cut at a
chunk boundary (truncation: the last chunk left was sealed with final = 0) fails to open.
Random nonces rather than a counter: a resumed upload may seal the same position twice, and
a counter under the same key would then reuse a nonce.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hub.adapters.documents.errors import DocumentTampered

PLAIN_CHUNK = 256 * 1024
NONCE_BYTES = 12
TAG_BYTES = 16
SEALED_CHUNK = PLAIN_CHUNK + NONCE_BYTES + TAG_BYTES
"""The largest sealed chunk: each Object Store chunk holds exactly one."""
_CONTEXT = b"interop-hub/document/v1"


@dataclass(frozen=True)
class SealingContext:
    """What every chunk of one document is bound to."""

    document_id: str
    subject: str
    kid: str

    def aad(self, index: int, final: bool) -> bytes:
        head = b"\x00".join((_CONTEXT, self.document_id.encode(), self.subject.encode(),
                             self.kid.encode()))
        return head + b"\x00" + index.to_bytes(8, "big") + (b"\x01" if final else b"\x00")


def seal_chunk(aead: AESGCM, context: SealingContext, index: int, final: bool,
               plain: bytes) -> bytes:
    """One sealed chunk (nonce ‖ ciphertext ‖ tag)."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + aead.encrypt(nonce, plain, context.aad(index, final))


def open_chunk(aead: AESGCM, context: SealingContext, index: int, final: bool,
               sealed: bytes) -> bytes:
    """The plain bytes of one sealed chunk; DocumentTampered if it does not open there."""
    try:
        return aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:],
                            context.aad(index, final))
    except (InvalidTag, ValueError):
        where = "the last chunk" if final else f"chunk {index}"
        raise DocumentTampered(
            f"document {context.document_id}: {where} does not open (the stored bytes were "
            "altered, reordered or cut short, or were sealed for another document)",
            field="document", path=f"document:{context.document_id}",
        ) from None


async def sealed_chunks(
    key: bytes, context: SealingContext, plain: AsyncIterable[bytes]
) -> AsyncIterator[bytes]:
    """Seal ``plain`` (blocks of any size) chunk by chunk; holds at most two chunks.

    A full chunk is sealed only once the next byte is seen, so the last one is known to be
    last (final = 1) when it is sealed.
    """
    aead = AESGCM(key)
    pending = bytearray()
    index = 0
    async for block in plain:
        pending += block
        while len(pending) > PLAIN_CHUNK:
            yield seal_chunk(aead, context, index, False, bytes(pending[:PLAIN_CHUNK]))
            del pending[:PLAIN_CHUNK]
            index += 1
    yield seal_chunk(aead, context, index, True, bytes(pending))


async def opened_chunks(
    key: bytes, context: SealingContext, sealed: AsyncIterable[bytes]
) -> AsyncIterator[bytes]:
    """Open a stream of sealed bytes (cut anywhere) back into plain chunks, checking each.

    A chunk is opened once the next one has arrived, so the last one is opened as last.
    """
    aead = AESGCM(key)
    previous: bytes | None = None
    index = 0
    async for unit in _sealed_units(sealed):
        if previous is not None:
            yield open_chunk(aead, context, index, False, previous)
            index += 1
        previous = unit
    if previous is None or len(previous) < NONCE_BYTES + TAG_BYTES:
        raise DocumentTampered(
            f"document {context.document_id}: the stored bytes end after chunk {index - 1} "
            "without a final chunk (cut short)",
            field="document", path=f"document:{context.document_id}",
        )
    yield open_chunk(aead, context, index, True, previous)


async def _sealed_units(sealed: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    """The sealed chunks of a byte stream: SEALED_CHUNK bytes each, the last shorter or not.

    Stored chunks arrive whole (one per Object Store chunk) and pass without a copy.
    """
    pending = bytearray()
    async for block in sealed:
        if not pending and len(block) == SEALED_CHUNK:
            yield block
            continue
        pending += block
        while len(pending) >= SEALED_CHUNK:
            yield bytes(pending[:SEALED_CHUNK])
            del pending[:SEALED_CHUNK]
    if pending:
        yield bytes(pending)


def sealed_size(plain_size: int) -> int:
    """How many bytes a document of ``plain_size`` bytes takes once sealed."""
    chunks = max(1, -(-plain_size // PLAIN_CHUNK))
    return plain_size + chunks * (NONCE_BYTES + TAG_BYTES)
