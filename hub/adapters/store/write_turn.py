"""Writers of one SQLite file in several processes take turns on a lock the kernel hands over.

SQLite lets one transaction write a file at a time; a second writer that finds it
taken is refused and retried by SQLite's busy handler, which sleeps 1, 2, 5, 10, 15...
ms between tries. With several hub processes on one SQLite ledger (``serve --workers
N``) both group-commit writers commit every millisecond or so, and those sleeps land
on the latency of every exchange in the batch that waits. The writer therefore takes
an exclusive ``flock`` on a file beside the ledger for each transaction: a waiting
writer sleeps in the kernel and is woken the moment the lock is released. Measured with
two processes committing six rows each, back to back (``docs/performance.md``): p99
2.0 against 4-9 ms, worst 4.8 against 20-54 ms. Writers that do not take the turn
(operator commands) still meet SQLite's busy handler, as before.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator, Mapping
from pathlib import Path


class WriteTurn:
    """An exclusive ``flock`` on ``path``, taken around each write transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @contextlib.contextmanager
    def taken(self) -> Iterator[None]:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def write_turn(env: Mapping[str, str] | None) -> WriteTurn | None:
    """The turn of an eventsourcing SQLite file store's writers (None: any other store)."""
    env = env or {}
    name = env.get("SQLITE_DBNAME", "")
    if env.get("PERSISTENCE_MODULE") != "eventsourcing.sqlite" or not name \
            or ":memory:" in name or "mode=memory" in name:
        return None
    return WriteTurn(Path(f"{name}.write-turn"))
