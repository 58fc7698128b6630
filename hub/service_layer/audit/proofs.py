"""Inclusion and consistency proofs against recorded checkpoints, and their JSON form.

The JSON is what ``audit prove --json`` and ``audit consistency --json`` print
and what ``simulations/audit_verify_standalone.py`` checks with nothing but the
standard library and ``cryptography``. Hashes are lowercase hex; the checkpoint
travels as its whole signed note (whose root is base64, as C2SP requires).

An inclusion proof also carries the event's row (id, version, topic and the
stored state in base64), so a verifier recomputes the leaf hash itself instead
of trusting it. Every proof is checked against its signed roots before it is
returned: a store that no longer matches its checkpoints cannot produce one.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from hub.service_layer.audit.checkpoint import Checkpoint
from hub.service_layer.audit.errors import ProofError
from hub.service_layer.audit.leaves import Leaf, entry_leaf_hash, iter_leaves
from hub.service_layer.audit.merkle import (
    consistency_ranges,
    inclusion_ranges,
    subtree_hashes,
    verify_consistency,
    verify_inclusion,
)
from hub.service_layer.audit.store_reader import StoredRow, StoreReader

INCLUSION = "interop-hub.audit.inclusion/v1"
CONSISTENCY = "interop-hub.audit.consistency/v1"


@dataclass(frozen=True)
class InclusionProof:
    """Event at ``leaf_index`` is in the tree of the checkpoint: its audit path, leaf to root."""

    checkpoint: Checkpoint
    verifier_key: str
    leaf_index: int
    leaf_hash: bytes
    path: list[bytes]
    event: StoredRow
    uuid_ids: bool

    def to_json(self) -> dict[str, Any]:
        """The portable form the standalone verifier reads."""
        return {
            "type": INCLUSION,
            "verifier_key": self.verifier_key,
            "checkpoint": self.checkpoint.note,
            "tree_size": self.checkpoint.size,
            "leaf_index": self.leaf_index,
            "leaf_hash": self.leaf_hash.hex(),
            "audit_path": [node.hex() for node in self.path],
            "event": {
                "position": self.event.position,
                "aggregate_id": self.event.aggregate_id,
                "aggregate_id_type": "uuid" if self.uuid_ids else "text",
                "version": self.event.version,
                "topic": self.event.topic,
                "state_base64": None
                if self.event.state is None
                else base64.b64encode(self.event.state).decode(),
            },
        }


@dataclass(frozen=True)
class ConsistencyProof:
    """The tree of ``old`` is a prefix of the tree of ``new``."""

    old: Checkpoint
    new: Checkpoint
    verifier_key: str
    path: list[bytes]

    def to_json(self) -> dict[str, Any]:
        """The portable form the standalone verifier reads."""
        return {
            "type": CONSISTENCY,
            "verifier_key": self.verifier_key,
            "old_checkpoint": self.old.note,
            "new_checkpoint": self.new.note,
            "old_size": self.old.size,
            "new_size": self.new.size,
            "proof": [node.hex() for node in self.path],
        }


def resolve_event(reader: StoreReader, event: str) -> int:
    """The position named by ``event``: a position number, or ``<aggregate-id>:<version>``."""
    if event.isdigit():
        return int(event)
    aggregate_id, sep, version = event.rpartition(":")
    if not sep or not version.isdigit():
        raise ProofError(f"{event!r}: give a position (e.g. 42) or <aggregate-id>:<version>")
    position = reader.position_of(aggregate_id, int(version))
    if position is None:
        raise ProofError(f"no stored event is version {version} of aggregate {aggregate_id}")
    return int(position)


def prove_inclusion(
    reader: StoreReader, checkpoint: Checkpoint, verifier_key: str, event: str
) -> InclusionProof:
    """An inclusion proof of ``event`` against ``checkpoint``, built from the store."""
    position = resolve_event(reader, event)
    row = reader.row_at(position)
    if row is None:
        raise ProofError(f"no stored event at position {position}")
    index, size = reader.count_before(position), checkpoint.size
    if index >= size:
        raise ProofError(
            f"the event at position {position} (leaf {index}) is newer than the latest "
            f"checkpoint (size {size}): sign one with `interop-hub audit checkpoint`"
        )
    captured: list[Leaf] = []

    def hashes() -> Iterator[bytes]:
        for i, leaf in enumerate(iter_leaves(reader, limit=size)):
            if i == index:
                captured.append(leaf)
            yield leaf.hash

    root, path = _subtrees(hashes(), inclusion_ranges(index, size), size)
    _check_root(root, checkpoint)
    leaf = captured[0]
    if leaf.position != position or not verify_inclusion(index, size, leaf.hash, path, root):
        raise ProofError(f"the store changed while proving position {position}; try again")
    _check_row_hash(reader, row, leaf)
    return InclusionProof(checkpoint, verifier_key, index, leaf.hash, path, row, reader.uuid_ids)


def prove_consistency(
    reader: StoreReader, old: Checkpoint, new: Checkpoint, verifier_key: str
) -> ConsistencyProof:
    """A consistency proof from ``old`` to ``new``, built from the store."""
    if old.size > new.size:
        raise ProofError(f"checkpoint size {old.size} is newer than {new.size}: swap them")
    leaves = (leaf.hash for leaf in iter_leaves(reader, limit=new.size))
    root, path = _subtrees(leaves, consistency_ranges(old.size, new.size), new.size)
    _check_root(root, new)
    if not verify_consistency(old.size, new.size, old.root_hash, new.root_hash, path):
        raise ProofError(
            f"the stored events do not extend the checkpoint of size {old.size}: "
            "run `interop-hub audit verify`"
        )
    return ConsistencyProof(old, new, verifier_key, path)


def _subtrees(
    hashes: Iterator[bytes], ranges: list[tuple[int, int]], size: int
) -> tuple[bytes, list[bytes]]:
    try:
        return subtree_hashes(hashes, ranges, size)
    except ValueError:
        raise ProofError(
            f"the store holds fewer than {size} events: run `interop-hub audit verify`"
        ) from None


def _check_root(root: bytes, checkpoint: Checkpoint) -> None:
    if root != checkpoint.root_hash:
        raise ProofError(
            f"the stored events no longer match the checkpoint of size {checkpoint.size}: "
            "run `interop-hub audit verify`"
        )


def _check_row_hash(reader: StoreReader, row: StoredRow, leaf: Leaf) -> None:
    # The row printed in the proof must be the very row hashed into the leaf.
    ident = UUID(row.aggregate_id).bytes if reader.uuid_ids else row.aggregate_id.encode()
    if entry_leaf_hash(ident, row.version, row.topic, row.state) != leaf.hash:
        raise ProofError(f"the store changed while proving position {row.position}; try again")
