"""Service metrics over time, from the exchange index: what the console's charts draw.

The service-metrics read model keeps running totals; charts need the same
figures per time bucket. They are computed here from the exchange index rows of
the window shown (bounded: ``MAX_ROWS``), so no second read model has to be kept.
Per bucket: volume, success rate (completed / (volume - rejected)), latency
p50/p95/p99 of the completed exchanges, and time-limit breaches (late: completed
over the limit; unanswered: failed or dead-lettered) — as hub.adapters.projections
.service_metrics defines them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hub.adapters.projections import ExchangeQuery, ReadView, search
from hub.adapters.projections.exchange_index import IndexedExchange

MAX_ROWS = 50_000
FAILED = frozenset({"failed", "dead-lettered"})


@dataclass(frozen=True)
class Bucket:
    """The figures of one time bucket."""

    start: dt.datetime
    volume: int
    completed: int
    rejected: int
    failed: int
    breaches: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None

    @property
    def success_rate(self) -> float | None:
        """Completed / (volume - rejected); None without a valid query."""
        valid = self.volume - self.rejected
        return self.completed / valid if valid else None


@dataclass(frozen=True)
class Series:
    """The buckets of one window, oldest first, and how wide each is."""

    since: dt.datetime
    width: dt.timedelta
    buckets: list[Bucket] = field(default_factory=list)


def series(
    view: ReadView,
    *,
    since: dt.datetime,
    until: dt.datetime,
    buckets: int,
    service: str | None,
    limits: Mapping[str, float],
) -> Series:
    """``buckets`` equal buckets from ``since`` to ``until`` (for one service, or all)."""
    width = max((until - since) / max(buckets, 1), dt.timedelta(seconds=1))
    query = ExchangeQuery(service=service, since=since, until=until)
    with view.store.transaction(write=False) as tx:
        rows = search(tx, query)[:MAX_ROWS]
    grouped: list[list[IndexedExchange]] = [[] for _ in range(buckets)]
    for row in rows:
        index = min(int((row.received_at - since) / width), buckets - 1)
        grouped[index].append(row)
    return Series(since, width, [
        _bucket(since + width * i, group, limits) for i, group in enumerate(grouped)])


def _bucket(start: dt.datetime, rows: Sequence[IndexedExchange],
            limits: Mapping[str, float]) -> Bucket:
    latencies = sorted(r.latency_ms for r in rows
                       if r.status == "completed" and r.latency_ms is not None)
    breaches = 0
    for row in rows:
        limit_s = limits.get(row.service)
        if limit_s is None:
            continue
        late = (row.status == "completed" and row.latency_ms is not None
                and row.latency_ms > limit_s * 1000)
        breaches += late or row.status in FAILED
    return Bucket(
        start=start,
        volume=len(rows),
        completed=sum(r.status == "completed" for r in rows),
        rejected=sum(r.status == "rejected" for r in rows),
        failed=sum(r.status in FAILED for r in rows),
        breaches=breaches,
        p50_ms=_quantile(latencies, 0.50),
        p95_ms=_quantile(latencies, 0.95),
        p99_ms=_quantile(latencies, 0.99),
    )


def _quantile(sorted_values: Sequence[float], q: float) -> float | None:
    """The nearest-rank quantile (the value at rank ceil(q·n)); None for no values."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]
