"""Reading the data-use index: a subject's report, up to date with the ledger when it is read.

A report answers "every use of my data so far", so a reading must include an
exchange answered a moment ago, even when the hub's follower has not applied it
yet (or no hub is running: the CLI). Each reading therefore first catches the
data-use index up with the ledger — from the index's own tracking position, so it
reads only what was recorded since the last catch-up (by the follower or by an
earlier reading), never the ledger's history — and then runs one query on the
subject index. With nothing new, the catch-up is two short reads (the position,
the ledger's last id).
"""

from __future__ import annotations

import threading
from pathlib import Path

from hub.adapters.projections.data_use import DataUse, DataUses, uses_of
from hub.adapters.projections.runner import ProjectionRunner
from hub.adapters.projections.store import ReadStore, open_read_store
from hub.adapters.store.ledger import Ledger


class DataUseBook:
    """The data-use index in ``store``, kept up to date with ``ledger`` by its readings."""

    def __init__(self, ledger: Ledger, store: ReadStore) -> None:
        self.ledger = ledger
        self.store = store
        self._runner = ProjectionRunner(ledger, store, [DataUses()])
        self._prepared = False
        self._prepare_lock = threading.Lock()
        self.caught_up = 0
        """Notifications read by readings' catch-ups since this book was opened."""

    def uses_of(self, subject_ref: str) -> list[DataUse]:
        """Every disclosure about ``subject_ref`` recorded so far, oldest first (blocking).

        Catches the index up first (what was recorded since its position), then one
        indexed query: the cost grows with what is new and with this subject's uses,
        not with the ledger's history.
        """
        self._prepare()
        self.caught_up += self._runner.catch_up()
        with self.store.transaction(write=False) as tx:
            return uses_of(tx, subject_ref)

    def _prepare(self) -> None:
        """Create the index's tables once (rebuilt from the start if its version changed)."""
        with self._prepare_lock:
            if not self._prepared:
                self._runner.prepare()
                self._prepared = True

    def close(self) -> None:
        """Close the read store (a book of :func:`open_data_uses`; the hub's shares its
        read store with the follower, which closes it)."""
        self.store.close()


def open_data_uses(ledger: Ledger, store_url: str | None, data_dir: Path) -> DataUseBook:
    """A book over the read store beside ``ledger`` (its PostgreSQL database or DIR's file),
    for a process that runs no hub (the CLI); close it when done."""
    return DataUseBook(ledger, open_read_store(store_url, data_dir))
