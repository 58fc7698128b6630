"""A ledger recorder that counts the notifications it hands out: the work a follower does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Notification

from hub.adapters.store.ledger import Ledger


class CountingRecorder:
    """Wraps the ledger's recorder; counts ``select_notifications`` calls and rows returned."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.selects = 0
        self.rows = 0

    def select_notifications(self, *args: Any, **kwargs: Any) -> Sequence[Notification]:
        page = self._inner.select_notifications(*args, **kwargs)
        self.selects += 1
        self.rows += len(page)
        return page

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def count_reads(ledger: Ledger) -> CountingRecorder:
    """Make ``ledger`` read its notification log through a counter (before anything follows it)."""
    counting = CountingRecorder(ledger.recorder)
    ledger.recorder = counting  # type: ignore[misc]
    return counting
