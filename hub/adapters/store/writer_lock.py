"""One hub process per SQLite store: a second one is refused with the holder's pid.

SQLite serialises writers inside one file, but two hub processes on one data
folder would also run two outbox relays, two embedded nats-servers and two
checkpointers over the same files. Scaling out needs PostgreSQL (the relay lease
is an advisory lock there, :mod:`hub.adapters.store.relay_lease`); on SQLite the hub takes an
exclusive ``flock`` on ``DIR/hub.lock`` for as long as it runs. The kernel drops
the lock when the process ends, ``kill -9`` included, so no stale lock is left.
Operator commands (``credentials``, ``access``, ``replay``...) do not take it:
they may run beside the hub, as before.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from contracts.errors import HubError

LOCK_NAME = "hub.lock"


class StoreInUseError(HubError):
    """Raised when another hub process already runs on this SQLite store."""

    code = "store-in-use"
    status = 409  # the store is taken by another process: a conflict, not a bug


@contextlib.contextmanager
def sole_writer(data: Path) -> Iterator[Path]:
    """Hold the data folder's hub lock for the block; refuse if another process holds it."""
    path = data / LOCK_NAME
    data.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            raise StoreInUseError(
                f"another hub process (pid {holder}) already runs on the SQLite store in "
                f"{data}; one hub process per SQLite store. To run several workers, use "
                "PostgreSQL (HUB_STORE=postgresql://...) with `serve --workers N`"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # releases the lock
