"""Canonical stored bytes of a row, and the fast page hashing that must agree with them."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from hub.service_layer.audit.leaves import (
    MALFORMED_LEAF,
    canonical_entry,
    entry_leaf_hash,
    iter_leaves,
    leaf_hash_pages,
)
from hub.service_layer.audit.store_reader import RawRow, StoreReader

ID = UUID("5e7b88c4-7aa5-4291-9f96-55e660bb373f")


class ListReader(StoreReader):
    """A store reader over an in-memory list of rows, stored ids as SQLite writes them."""

    def __init__(self, rows: list[RawRow], page_size: int = 3) -> None:
        super().__init__("memory", uuid_ids=True, page_size=page_size)
        self.rows = rows

    def _page(self, after: int, stop: int | None) -> list[RawRow]:
        found = [r for r in self.rows if r[0] > after and (stop is None or r[0] <= stop)]
        return found[: self.page_size]

    def close(self) -> None:
        pass

    def count_before(self, position: int) -> int:
        return sum(1 for r in self.rows if r[0] < position)

    def position_of(self, aggregate_id: str, version: int) -> int | None:
        key = UUID(aggregate_id).hex
        return next((r[0] for r in self.rows if (r[1], r[2]) == (key, version)), None)


def test_canonical_entry_is_the_documented_layout() -> None:
    """The entry is format, then length-prefixed id, i64 version, topic and state."""
    entry = canonical_entry(ID.bytes, 2, "t", b"{}")
    assert entry == (
        b"\x01" + b"\x00\x00\x00\x10" + ID.bytes + (2).to_bytes(8, "big")
        + b"\x00\x00\x00\x01t" + b"\x00\x00\x00\x02{}"
    )  # fmt: skip
    assert entry_leaf_hash(ID.bytes, 2, "t", b"{}") == hashlib.sha256(b"\x00" + entry).digest()


def test_null_differs_from_empty() -> None:
    """A NULL topic or state encodes differently from an empty one."""
    assert canonical_entry(ID.bytes, 1, None, b"") != canonical_entry(ID.bytes, 1, "", b"")
    assert canonical_entry(ID.bytes, 1, "t", None) != canonical_entry(ID.bytes, 1, "t", b"")


def test_identity_is_part_of_the_leaf() -> None:
    """Same state under another aggregate, version or topic is another leaf."""
    base = entry_leaf_hash(ID.bytes, 1, "t", b"s")
    assert base != entry_leaf_hash(UUID(int=1).bytes, 1, "t", b"s")
    assert base != entry_leaf_hash(ID.bytes, 2, "t", b"s")
    assert base != entry_leaf_hash(ID.bytes, 1, "u", b"s")


def test_rows_that_no_store_writes_get_the_malformed_leaf() -> None:
    """A text state, a non-integer version or a bad id hash to MALFORMED_LEAF, not an error."""
    rows: list[RawRow] = [
        (1, ID.hex, 1, "t", "text, not bytes"),
        (2, ID.hex, 1.0, "t", b"s"),
        (3, "not-hex", 1, "t", b"s"),
        (4, ID.hex, 1, "t", b"s"),
    ]
    hashes = [leaf.hash for leaf in iter_leaves(ListReader(rows))]
    assert hashes[:3] == [MALFORMED_LEAF] * 3
    assert hashes[3] == entry_leaf_hash(ID.bytes, 1, "t", b"s")


def test_float_version_is_not_taken_for_the_cached_integer() -> None:
    """After version 1 is cached, a tampered 1.0 still hashes as malformed."""
    rows: list[RawRow] = [(1, ID.hex, 1, "t", b"s"), (2, ID.hex, 1.0, "t", b"s")]
    first, second = (leaf.hash for leaf in iter_leaves(ListReader(rows)))
    assert first != second == MALFORMED_LEAF


def test_limit_and_after_select_the_leaves() -> None:
    """iter_leaves starts after a position and stops after ``limit`` leaves."""
    rows: list[RawRow] = [(p, ID.hex, p, "t", b"s") for p in range(1, 8)]
    leaves = list(iter_leaves(ListReader(rows), after=2, limit=4))
    assert [leaf.position for leaf in leaves] == [3, 4, 5, 6]
    assert leaves[0].aggregate_id == ID.bytes and leaves[0].version == 3


values: Any = st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1), st.text(), st.binary())


@given(st.lists(st.tuples(values, st.one_of(st.none(), st.text()), values), max_size=12))
def test_fast_page_hashing_agrees_with_the_careful_encoding(
    rows: list[tuple[Any, Any, Any]],
) -> None:
    """For any mix of values, the page loop gives exactly entry_leaf_hash's answer."""
    raw: list[RawRow] = [(i + 1, ID.hex, v, t, s) for i, (v, t, s) in enumerate(rows)]
    fast = [h for _, page in leaf_hash_pages(ListReader(raw)) for h in page]
    careful = [entry_leaf_hash(ID.bytes, v, t, s) for v, t, s in rows]
    assert fast == careful
