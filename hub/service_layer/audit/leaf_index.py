"""The per-leaf index ``DIR/audit/leaves.idx``: evidence to *name* a bad event.

A checkpoint proves that the first n rows are unchanged, but when its root no
longer matches it cannot say which row changed. So each checkpoint also appends
to this file one record per newly covered leaf::

    i64 position ‖ i64 version ‖ 32-byte leaf hash ‖ u16 id length ‖ originator id bytes

(after an 8-byte header ``IHUBLIX1``). The index is not trusted on its own:
``audit verify`` first recomputes the index's own tree and uses it only if that
root equals the signed checkpoint it is compared under; then the first record
that differs from the store names the first bad event, including one that was
deleted (its position, aggregate and version are here, no longer in the store).

Records are appended and fsynced before the checkpoint that covers them is
recorded; the tree state (:mod:`hub.service_layer.audit.log`) remembers how many bytes are
valid, and a writer truncates anything beyond that (a crash mid-checkpoint).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from hub.service_layer.audit.errors import AuditError
from hub.service_layer.audit.leaves import Leaf

HEADER = b"IHUBLIX1"
_RECORD = struct.Struct(">qq32sH")


class LeafIndexWriter:
    """Appends leaf records after the last valid byte; ``commit`` makes them durable."""

    def __init__(self, path: Path, valid_bytes: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not path.exists() or valid_bytes <= len(HEADER)
        self._file: BinaryIO = open(path, "wb" if fresh else "r+b")  # closed in close()
        if fresh:
            self._file.write(HEADER)
        else:
            if os.fstat(self._file.fileno()).st_size < valid_bytes:
                self._file.close()
                raise AuditError(f"{path} is shorter than recorded: the audit index was damaged")
            self._file.truncate(valid_bytes)
            self._file.seek(valid_bytes)

    def add(self, leaf: Leaf) -> None:
        """Queue one record."""
        ident = leaf.aggregate_id[:0xFFFF]
        self._file.write(_RECORD.pack(leaf.position, leaf.version, leaf.hash, len(ident)) + ident)

    def commit(self) -> int:
        """Flush and fsync; the number of valid bytes."""
        self._file.flush()
        os.fsync(self._file.fileno())
        return self._file.tell()

    def close(self) -> None:
        """Close the file (uncommitted records may or may not be on disk)."""
        self._file.close()


def read_leaf_index(path: Path, limit: int | None = None) -> Iterator[Leaf]:
    """The index's records, oldest first, at most ``limit``; nothing when there is no index."""
    if not path.exists():
        return
    with open(path, "rb", buffering=1 << 20) as handle:
        if handle.read(len(HEADER)) != HEADER:
            raise AuditError(f"{path} is not an audit leaf index")
        count = 0
        while limit is None or count < limit:
            head = handle.read(_RECORD.size)
            if len(head) < _RECORD.size:
                return
            position, version, digest, length = _RECORD.unpack(head)
            ident = handle.read(length)
            if len(ident) < length:
                return
            yield Leaf(position, ident, version, digest)
            count += 1
