"""Counting the work behind a figure: store transactions, aggregate loads, key-store reads.

The benchmarks wrap the real collaborators of the code they time (the event
store's recorder, the repository, the subject key store, a source's decoder)
with counters, run a known number of operations through the production code,
and divide. Nothing here is estimated from reading the code: a count is a call
that reached the store or the parser.

    with Tally() as tally:
        count_store(app, tally)      # write_transactions, read_transactions, aggregate_loads
        ... run N operations ...
    tally.per(N)                     # {"write_transactions": 0.004, ...}

Leaving the block puts every wrapped method back.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from typing import Any

# Recorder calls, each one transaction of its own on SQLite and PostgreSQL.
_READS = ("select_events", "select_notifications", "max_notification_id", "max_tracking_id")


class Tally(Counter[str]):
    """Counts by name; :meth:`per` divides them by the operations that caused them."""

    def __init__(self) -> None:
        super().__init__()
        self.undo: list[Callable[[], None]] = []

    def __enter__(self) -> Tally:
        return self

    def __exit__(self, *exc_info: object) -> None:
        while self.undo:
            self.undo.pop()()

    def per(self, operations: int, names: tuple[str, ...] = ()) -> dict[str, float]:
        """Each count (and each of ``names``, 0 if never seen) per operation, rounded."""
        keys = dict.fromkeys([*names, *sorted(self)])
        return {name: round(self[name] / max(operations, 1), 4) for name in keys}


def wrap(owner: Any, method: str, tally: Tally, name: str,
         weight: Callable[..., int] | None = None) -> None:
    """Count each call of ``owner.method`` under ``name`` (``weight(*args)`` per call, or 1)."""
    had_own = method in getattr(owner, "__dict__", {})
    original = getattr(owner, method)

    @functools.wraps(original)
    def counted(*args: Any, **kwargs: Any) -> Any:
        tally[name] += 1 if weight is None else weight(*args, **kwargs)
        return original(*args, **kwargs)

    setattr(owner, method, counted)
    if had_own:
        tally.undo.append(lambda: setattr(owner, method, original))
    else:
        tally.undo.append(lambda: delattr(owner, method))


def count_store(app: Any, tally: Tally) -> None:
    """Count an eventsourcing application's transactions, events written and aggregate loads."""
    recorder = app.recorder
    wrap(recorder, "insert_events", tally, "write_transactions")
    wrap(recorder, "insert_events", tally, "events_written",
         weight=lambda events, **_: len(events))
    for method in _READS:
        if hasattr(recorder, method):
            wrap(recorder, method, tally, "read_transactions")
    wrap(app.repository, "get", tally, "aggregate_loads")


def count_key_store(store: Any, tally: Tally) -> None:
    """Count reads of a subject key store (secrets and per-subject keys)."""
    for method in ("get_secret", "get_key"):
        wrap(store, method, tally, "key_store_reads")
