"""One hub per SQLite store: a second one is refused with the holder's pid.

SQLite serialises writers inside one file, but two hubs started separately on one
data folder would each run an embedded nats-server over the same files. The hub
(a lone ``serve``, or the parent of ``serve --workers N``) therefore takes an
exclusive ``flock`` on ``DIR/hub.lock`` for as long as it runs; the kernel drops it
when the process ends, ``kill -9`` included, so no stale lock is left. The workers
of ``serve --workers N`` are the holder's children, told so (``HUB_POOL_PARENT``): a
worker whose parent holds the lock shares it (they share the store and the parent's
nats-server; one relay runs at a time, :mod:`hub.adapters.store.relay_lease`).
Operator commands (``credentials``, ``access``, ``replay``...) do not take it: they
may run beside the hub, as before.
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
def sole_writer(data: Path, *, pool_parent: int | None = None) -> Iterator[Path]:
    """Hold the data folder's hub lock for the block; refuse if another process holds it,
    unless that is ``pool_parent``, this worker's parent."""
    path = data / LOCK_NAME
    data.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            shared = pool_parent is not None and pool_parent == os.getppid() \
                and holder == str(pool_parent)
            if not shared:
                raise StoreInUseError(
                    f"another hub process (pid {holder}) already runs on the SQLite store in "
                    f"{data}; one hub per SQLite store. To run several hub processes on it, "
                    "start them together with `serve --workers N`"
                ) from None
            yield path  # a worker of the holder's pool: the parent keeps the lock
            return
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # releases the lock
