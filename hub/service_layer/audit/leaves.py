"""The leaves of the audit tree: one per stored event row, in notification-log order.

Leaf i (0-based) is the i-th row of the ledger's event table ordered by
position (SQLite ``rowid``, PostgreSQL ``notification_id``). Its hash is
``SHA-256(0x00 ‖ canonical stored bytes)``, where the canonical stored bytes of
a row are, all integers big-endian::

    0x01                              format version of this encoding
    u32 length ‖ originator id        16 bytes for a UUID (RFC 9562 byte order),
                                      else the id's UTF-8
    i64 originator version            two's complement
    u32 length ‖ topic                UTF-8
    u32 length ‖ state                the state column's bytes exactly as stored

A NULL topic or state is written as length 0xFFFFFFFF with no bytes, so it
differs from an empty value. ``state`` is what eventsourcing wrote, after its
transcoder, any compression or cipher and the per-subject encryption of
personal fields: erasing a subject's key changes nothing stored, so the tree
and every proof still hold. Because the row's identity (originator id, version,
topic) is inside the leaf, moving an event to another aggregate or version, or
relabelling its type, changes the leaf just as editing its bytes does.

The position itself is deliberately not in the leaf: the leaf *index* already
fixes the order, and PostgreSQL sequences may legitimately skip numbers, so a
store copied from SQLite to PostgreSQL keeps the same tree.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from hub.service_layer.audit.store_reader import RawRow, StoreReader

FORMAT_VERSION = 1
NULL_LENGTH = 0xFFFFFFFF
# A row that cannot be encoded (only tampering can make one) gets a leaf no real row has.
MALFORMED_LEAF = b"\xff" * 32

_HEAD = struct.Struct(">BBI")  # 0x00 leaf prefix, format version, id length
_HEAD16 = _HEAD.pack(0, FORMAT_VERSION, 16)
_VERSION_TOPIC = struct.Struct(">qI")
_LENGTH = struct.Struct(">I")
_sha256 = hashlib.sha256


class Leaf(NamedTuple):
    """One leaf: where its row is stored, whose event it is, and its hash."""

    position: int
    aggregate_id: bytes
    version: int
    hash: bytes


def canonical_entry(
    aggregate_id: bytes, version: int, topic: str | None, state: bytes | None
) -> bytes:
    """The canonical stored bytes of one row (see the module docstring)."""
    return _encode(aggregate_id, version, topic, state)[1:]


def _encode(aggregate_id: bytes, version: int, topic: Any, state: Any) -> bytes:
    # Returns 0x00 ‖ entry: the leaf hash input, built in one join.
    if type(version) is not int:
        raise TypeError("version is not an integer")
    if topic is None:
        topic_bytes, topic_len = b"", NULL_LENGTH
    else:
        topic_bytes = topic.encode()
        topic_len = len(topic_bytes)
    if state is None:
        state, state_len = b"", NULL_LENGTH
    elif not isinstance(state, bytes | bytearray | memoryview):
        raise TypeError("state is not a byte string")
    else:
        state_len = len(state)
    return b"".join(
        (
            _HEAD.pack(0, FORMAT_VERSION, len(aggregate_id)),
            aggregate_id,
            _VERSION_TOPIC.pack(version, topic_len),
            topic_bytes,
            _LENGTH.pack(state_len),
            state,
        )
    )


def entry_leaf_hash(aggregate_id: bytes, version: int, topic: Any, state: Any) -> bytes:
    """SHA-256(0x00 ‖ canonical stored bytes), or MALFORMED_LEAF for a row that cannot be one."""
    try:
        return _sha256(_encode(aggregate_id, version, topic, state)).digest()
    except (TypeError, ValueError, AttributeError, struct.error):
        return MALFORMED_LEAF


def leaf_hash_pages(
    reader: StoreReader, *, after: int = 0
) -> Iterator[tuple[list[RawRow], list[bytes]]]:
    """Each page of rows after position ``after`` with the leaf hash of every row in it."""
    to_id = reader.id_converter()
    middles: dict[tuple[Any, Any], bytes] = {}
    for page in reader.pages(after):
        yield page, _page_hashes(page, to_id, middles)


def _page_hashes(
    page: list[RawRow], to_id: Callable[[Any], bytes], middles: dict[tuple[Any, Any], bytes]
) -> list[bytes]:
    # The hot loop of `audit verify`: the same bytes as _encode, with the parts that
    # repeat (the id-length head, and version ‖ topic, which take few distinct values)
    # looked up instead of packed per row. Anything unusual takes the careful path.
    hashes: list[bytes] = []
    append, sha256, pack_length = hashes.append, _sha256, _LENGTH.pack
    if len(middles) > 65536:
        middles.clear()
    for _position, stored_id, version, topic, state in page:
        try:
            ident = to_id(stored_id)
            if type(version) is not int:  # else 1.0 or True would hit the cache entry of 1
                raise TypeError("version is not an integer")
            middle = middles.get((version, topic))
            if middle is None:
                middle = middles[version, topic] = _middle(version, topic)
            head = _HEAD16 if len(ident) == 16 else _HEAD.pack(0, FORMAT_VERSION, len(ident))
            append(sha256(b"".join((head, ident, middle, pack_length(len(state)), state))).digest())
        except (TypeError, ValueError, AttributeError, struct.error):
            append(_careful_hash(to_id, stored_id, version, topic, state))
    return hashes


def _middle(version: Any, topic: Any) -> bytes:
    if type(version) is not int or type(topic) is not str:
        raise TypeError("version or topic of an unexpected type")
    encoded = topic.encode()
    return _VERSION_TOPIC.pack(version, len(encoded)) + encoded


def _careful_hash(
    to_id: Callable[[Any], bytes], stored_id: Any, version: Any, topic: Any, state: Any
) -> bytes:
    try:
        ident = to_id(stored_id)
    except (TypeError, ValueError, AttributeError):
        return MALFORMED_LEAF
    return entry_leaf_hash(ident, version, topic, state)


def iter_leaves(reader: StoreReader, *, after: int = 0, limit: int | None = None) -> Iterator[Leaf]:
    """The leaves of rows after position ``after``, at most ``limit`` of them."""
    to_id = reader.id_converter()
    remaining = limit
    for page, hashes in leaf_hash_pages(reader, after=after):
        if remaining is not None and len(page) > remaining:
            page, hashes = page[:remaining], hashes[:remaining]
        for (position, stored_id, version, _topic, _state), digest in zip(
            page, hashes, strict=True
        ):
            yield Leaf(position, _ident_or_repr(to_id, stored_id), _int_or(version), digest)
        if remaining is not None:
            remaining -= len(page)
            if remaining <= 0:
                return


def _ident_or_repr(to_id: Callable[[Any], bytes], stored_id: Any) -> bytes:
    try:
        return to_id(stored_id)
    except (TypeError, ValueError, AttributeError):
        return repr(stored_id).encode()[:255]


def _int_or(value: Any, default: int = -1) -> int:
    return value if type(value) is int else default
