"""The audit log's incremental tree state, kept in ``DIR/audit/``.

Files (all owned by this package)::

    audit/tree.json          size, O(log n) frontier hashes, last position covered,
                             valid bytes of the leaf index — rewritten atomically
    audit/leaves.idx         one record per covered leaf (hub.service_layer.audit.leaf_index)
    audit/checkpoints.jsonl  the signed checkpoints (hub.service_layer.audit.checkpoints)
    audit/.lock              held while a checkpoint is taken

Extending the tree reads only the rows stored after the last covered position,
never the rows already covered. That matters for tamper evidence: a row edited
after it was checkpointed cannot be folded into a later signed root, because
later roots are computed from the frontier, not by re-reading old rows.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.service_layer.audit.errors import AuditError
from hub.service_layer.audit.leaf_index import HEADER, LeafIndexWriter
from hub.service_layer.audit.leaves import iter_leaves
from hub.service_layer.audit.merkle import Frontier
from hub.service_layer.audit.store_reader import StoreReader

_STATE_VERSION = 1


@dataclass(frozen=True)
class AuditPaths:
    """Where a region's audit files live inside its data folder."""

    data_dir: Path

    @property
    def folder(self) -> Path:
        """``DIR/audit``."""
        return self.data_dir / "audit"

    @property
    def state(self) -> Path:
        """The tree state file."""
        return self.folder / "tree.json"

    @property
    def index(self) -> Path:
        """The per-leaf index."""
        return self.folder / "leaves.idx"

    @property
    def checkpoints(self) -> Path:
        """The recorded checkpoints."""
        return self.folder / "checkpoints.jsonl"

    @property
    def lock(self) -> Path:
        """The lock file serialising checkpoint writers."""
        return self.folder / ".lock"


@dataclass(frozen=True)
class TreeState:
    """How far the tree has been extended: its frontier and what it covers."""

    frontier: Frontier
    last_position: int = 0
    index_bytes: int = len(HEADER)

    @property
    def size(self) -> int:
        """Number of leaves covered."""
        return self.frontier.size

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "version": _STATE_VERSION,
            "size": self.size,
            "frontier": [node.hex() for node in self.frontier.nodes],
            "last_position": self.last_position,
            "index_bytes": self.index_bytes,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TreeState:
        """Read what :meth:`to_json` wrote; ValueError when it does not hold together."""
        if data.get("version") != _STATE_VERSION:
            raise ValueError(f"unknown tree state version {data.get('version')!r}")
        nodes = [bytes.fromhex(node) for node in data["frontier"]]
        return cls(
            Frontier(int(data["size"]), nodes),
            int(data["last_position"]),
            int(data["index_bytes"]),
        )


def empty_state() -> TreeState:
    """The state of a log that covers nothing yet."""
    return TreeState(Frontier())


def load_state(paths: AuditPaths) -> TreeState | None:
    """The saved state; None when there is none or it is unreadable (rebuild then)."""
    try:
        return TreeState.from_json(json.loads(paths.state.read_text()))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        return None


def save_state(paths: AuditPaths, state: TreeState) -> None:
    """Replace the state file atomically (write, fsync, rename)."""
    paths.folder.mkdir(parents=True, exist_ok=True)
    temporary = paths.state.with_suffix(f".{os.getpid()}.tmp")
    with open(temporary, "w") as handle:
        json.dump(state.to_json(), handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, paths.state)
    _fsync_dir(paths.folder)


def extend(
    paths: AuditPaths, state: TreeState, reader: StoreReader, limit: int | None = None
) -> TreeState:
    """Cover the rows stored after ``state``: index them and grow the frontier."""
    frontier = state.frontier.copy()
    last = state.last_position
    writer = LeafIndexWriter(paths.index, state.index_bytes)
    try:
        for leaf in iter_leaves(reader, after=last, limit=limit):
            frontier.append(leaf.hash)
            writer.add(leaf)
            last = leaf.position
        index_bytes = writer.commit()
    finally:
        writer.close()
    return TreeState(frontier, last, index_bytes)


@contextlib.contextmanager
def locked(paths: AuditPaths) -> Iterator[None]:
    """Hold the audit folder's lock (one checkpoint writer at a time, across processes)."""
    paths.folder.mkdir(parents=True, exist_ok=True)
    with open(paths.lock, "a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        except OSError as exc:
            raise AuditError(f"cannot lock {paths.lock}: {exc}") from exc
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
