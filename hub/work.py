"""Counting the work of the exchange path: store transactions, aggregate loads, key reads
and thread hand-offs, as they happen.

A hot path is fixed by knowing what it does per operation before knowing how long
it takes. The counters are incremented by the code that does the work (the
ledger's recorder, the keyring, the group-commit writer, :func:`to_thread`), so a
benchmark that reads them before and after a run divides real work by real
queries. Counting is a few integer additions under the GIL; it is always on.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, ParamSpec, TypeVar

from eventsourcing.persistence import Notification, StoredEvent

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class WorkCounts:
    """Units of work done by this process since it started (or since a snapshot)."""

    write_transactions: int = 0
    read_transactions: int = 0
    aggregate_loads: int = 0
    key_reads: int = 0
    thread_handoffs: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class WorkCounter:
    """The process's counters; increments from several threads are serialised by a lock."""

    def __init__(self) -> None:
        self._counts = WorkCounts()
        self._lock = threading.Lock()

    def add(self, field: str, n: int = 1) -> None:
        with self._lock:
            setattr(self._counts, field, getattr(self._counts, field) + n)

    def snapshot(self) -> WorkCounts:
        with self._lock:
            return WorkCounts(**self._counts.as_dict())


# One per process: the work of a process is what a benchmark of that process reads.
WORK = WorkCounter()


async def to_thread(func: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """``asyncio.to_thread``, counted: every hand-off to a thread shows in the work counts."""
    WORK.add("thread_handoffs")
    return await asyncio.to_thread(func, *args, **kwargs)


class CountingRecorder:
    """An eventsourcing application recorder that counts its transactions.

    Every write is one ``insert_events`` call and every read one ``select_*`` or
    ``max_notification_id`` call, each a transaction of its own in the library's
    recorders; anything else is passed through untouched.
    """

    def __init__(self, recorder: Any) -> None:
        self._recorder = recorder

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        WORK.add("write_transactions")
        return self._recorder.insert_events(stored_events, **kwargs)

    def select_events(self, *args: Any, **kwargs: Any) -> Any:
        WORK.add("read_transactions")
        return self._recorder.select_events(*args, **kwargs)

    def select_notifications(self, *args: Any, **kwargs: Any) -> Sequence[Notification]:
        WORK.add("read_transactions")
        return self._recorder.select_notifications(*args, **kwargs)

    def max_notification_id(self, *args: Any, **kwargs: Any) -> Any:
        WORK.add("read_transactions")
        return self._recorder.max_notification_id(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._recorder, name)
