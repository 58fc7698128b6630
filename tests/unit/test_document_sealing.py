"""Chunked sealing: every chunk bound to its document, place and finality."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from hub.adapters.documents.errors import DocumentTampered
from hub.adapters.documents.sealing import (
    PLAIN_CHUNK,
    SEALED_CHUNK,
    SealingContext,
    opened_chunks,
    sealed_chunks,
    sealed_size,
)

KEY = os.urandom(32)
CONTEXT = SealingContext("doc-1", "ds-" + "a" * 32, "k-1")


async def _iterate(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def _seal(data: bytes, context: SealingContext = CONTEXT) -> list[bytes]:
    return [c async for c in sealed_chunks(KEY, context, _iterate(data[:1000], data[1000:]))]


async def _open(sealed: list[bytes], context: SealingContext = CONTEXT) -> bytes:
    return b"".join([c async for c in opened_chunks(KEY, context, _iterate(*sealed))])


@pytest.mark.parametrize("size", [0, 1, PLAIN_CHUNK - 1, PLAIN_CHUNK, PLAIN_CHUNK + 1,
                                  3 * PLAIN_CHUNK])
async def test_round_trip_at_every_boundary(size: int) -> None:
    """Empty, one byte, a chunk and around it: the bytes come back, sizes as stated."""
    data = os.urandom(size)
    sealed = await _seal(data)
    assert all(len(c) <= SEALED_CHUNK for c in sealed)
    assert sum(map(len, sealed)) == sealed_size(size)
    assert await _open(sealed) == data
    assert await _open([b"".join(sealed)[i:i + 999] for i in range(0, sealed_size(size), 999)]
                       ) == data  # cut anywhere on the way back


async def test_truncation_at_a_chunk_boundary_is_detected() -> None:
    """Dropping the last chunk leaves a chunk sealed as not final: it does not open as last."""
    sealed = await _seal(os.urandom(2 * PLAIN_CHUNK + 10))
    with pytest.raises(DocumentTampered, match="last chunk"):
        await _open(sealed[:-1])


async def test_reordered_chunks_are_detected() -> None:
    """Swapping two chunks breaks the index each was sealed at."""
    sealed = await _seal(os.urandom(3 * PLAIN_CHUNK + 10))
    with pytest.raises(DocumentTampered, match="chunk 0"):
        await _open([sealed[1], sealed[0], *sealed[2:]])


async def test_a_chunk_of_another_document_or_a_flipped_bit_does_not_open() -> None:
    """Chunks are bound to their document id; any altered byte fails its tag."""
    data = os.urandom(PLAIN_CHUNK + 10)
    other = await _seal(data, SealingContext("doc-2", CONTEXT.subject, CONTEXT.kid))
    with pytest.raises(DocumentTampered):
        await _open(other)
    sealed = await _seal(data)
    flipped = bytearray(sealed[1])
    flipped[20] ^= 1
    with pytest.raises(DocumentTampered):
        await _open([sealed[0], bytes(flipped)])
    with pytest.raises(DocumentTampered, match="cut short"):
        await _open([])
