"""Service metrics: per provider department and service, what governments publish about a service.

Volume, completed, rejected (per reason code), failed, success rate, p50/p95
latency (a log-bucketed histogram, see :mod:`hub.adapters.projections.histogram`) and
breaches of the service's declared time limit (``time_limit_s``, e.g. 2 s or
3 days = 259200 s). A breach is one of:

- *late*: completed, with a latency over the limit;
- *unanswered*: failed or dead-lettered (it will never be completed, let alone in time);
- *overdue*: still open when more than the limit has passed since it was received —
  counted when read, against "now" (or the moment of an as-of view), because it
  depends on the clock, not on any event.

Rejected inputs are not breaches: the service was never asked. Success rate is
completed / (volume - rejected): the share of valid queries that were answered.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hub.adapters.projections.base import Event, Projection
from hub.adapters.projections.exchange_index import service_parts
from hub.adapters.projections.histogram import bucket_of, quantile
from hub.adapters.projections.store import Tx
from hub.adapters.projections.timestamps import to_micros
from hub.domain.exchange import Exchange

COUNTERS = ("volume", "completed", "rejected", "failed", "late", "unanswered", "latency_sum_ms")
_VOLUME, _COMPLETED, _REJECTED, _FAILED, _LATE, _UNANSWERED, _LATENCY_SUM = range(len(COUNTERS))
_FETCH_CHUNK = 500


@dataclass(frozen=True)
class ServiceStats:
    """The metrics of one service, as read at a moment."""

    service: str
    provider: str
    volume: int
    completed: int
    rejected: int
    failed: int
    late: int
    unanswered: int
    overdue: int
    limit_s: float | None
    latency_sum_ms: float
    p50_ms: float | None
    p95_ms: float | None
    rejections: dict[str, int] = field(default_factory=dict)

    @property
    def pending(self) -> int:
        """Received but not yet completed, rejected or failed."""
        return self.volume - self.completed - self.rejected - self.failed

    @property
    def success_rate(self) -> float | None:
        """Completed / (volume - rejected); None before any valid query."""
        valid = self.volume - self.rejected
        return self.completed / valid if valid else None

    @property
    def breaches(self) -> int:
        """Late + unanswered + overdue (0 when the service declares no time limit)."""
        return self.late + self.unanswered + self.overdue


class ServiceMetrics(Projection):
    """Counters, rejection reasons, latency buckets and open exchanges, per service."""

    name: ClassVar[str] = "service-metrics"
    version: ClassVar[int] = 1
    tables: ClassVar[tuple[str, ...]] = (
        "service_metrics", "service_rejections", "service_latency", "service_open",
    )  # fmt: skip
    topics: ClassVar[frozenset[str]] = frozenset(
        cls.TOPIC
        for cls in (
            Exchange.Received, Exchange.Rejected, Exchange.DeliveryFailed,
            Exchange.DeadLettered, Exchange.Completed,
        )
    )  # fmt: skip

    def __init__(self, limits: Mapping[str, float] | None = None) -> None:
        self.limits = dict(limits or {})
        """Declared time limit in seconds, by service id."""

    def create(self, tx: Tx) -> None:
        counters = ", ".join(f"{c} BIGINT NOT NULL" for c in COUNTERS[:-1])
        tx.execute(
            "CREATE TABLE IF NOT EXISTS service_metrics (service TEXT PRIMARY KEY, "
            f"provider TEXT NOT NULL, {counters}, latency_sum_ms DOUBLE PRECISION NOT NULL, "
            "limit_s DOUBLE PRECISION)"
        )
        tx.execute(
            "CREATE TABLE IF NOT EXISTS service_rejections (service TEXT NOT NULL, "
            "code TEXT NOT NULL, count BIGINT NOT NULL, PRIMARY KEY (service, code))"
        )
        tx.execute(
            "CREATE TABLE IF NOT EXISTS service_latency (service TEXT NOT NULL, "
            "bucket INTEGER NOT NULL, count BIGINT NOT NULL, PRIMARY KEY (service, bucket))"
        )
        tx.execute(
            "CREATE TABLE IF NOT EXISTS service_open (id TEXT PRIMARY KEY, "
            "service TEXT NOT NULL, received_us BIGINT NOT NULL)"
        )

    def create_indexes(self, tx: Tx) -> None:
        tx.execute("CREATE INDEX IF NOT EXISTS ix_service_open ON service_open (service)")

    def apply(self, tx: Tx, events: Sequence[Event]) -> None:
        batch = _Batch(self.limits)
        earlier = [event for event in events if not batch.apply(event)]
        if earlier:
            # Few exchanges straddle a page boundary: read them from the open table once.
            batch.open_before = self._open_rows(tx, list({str(e.originator_id) for e in earlier}))
            for event in earlier:
                batch.apply_earlier(event)
        batch.write(tx)

    def _open_rows(self, tx: Tx, ids: list[str]) -> dict[str, tuple[str, int]]:
        """Open exchanges (service, received_us) among ``ids``, read from the table."""
        found: dict[str, tuple[str, int]] = {}
        for i in range(0, len(ids), _FETCH_CHUNK):
            chunk = ids[i : i + _FETCH_CHUNK]
            marks = ", ".join("?" for _ in chunk)
            for oid, service, received_us in tx.query(
                f"SELECT id, service, received_us FROM service_open WHERE id IN ({marks})",  # noqa: S608
                chunk,
            ):
                found[oid] = (service, int(received_us))
        return found


class _Batch:
    """Deltas of one batch of events, written with one statement per table."""

    def __init__(self, limits: Mapping[str, float]) -> None:
        self.limits = limits
        self.open_before: dict[str, tuple[str, int]] = {}  # by str(id), read from the table
        self.opened: dict[Any, tuple[str, int]] = {}  # keyed by UUID, received in this batch
        self.closed_before: list[str] = []
        self.counts: defaultdict[str, list[float]] = defaultdict(lambda: [0] * len(COUNTERS))
        self.rejections: Counter[tuple[str, str]] = Counter()
        self.buckets: Counter[tuple[str, int]] = Counter()

    def apply(self, event: Any) -> bool:
        """Count ``event``; False if it ends an exchange received before this batch."""
        kind = type(event)
        if kind is Exchange.Received:
            self.opened[event.originator_id] = (event.service, to_micros(event.timestamp))
            self.counts[event.service][_VOLUME] += 1
            return True
        if kind is Exchange.DeliveryFailed and event.retryable:
            return True  # another attempt follows: nothing ends
        entry = self.opened.pop(event.originator_id, None)
        if entry is None:
            return False
        self._count_end(entry[0], event)
        return True

    def apply_earlier(self, event: Any) -> None:
        """Count the end of an exchange received before this batch (if it is still open)."""
        key = str(event.originator_id)
        entry = self.open_before.pop(key, None)
        if entry is None:
            return  # ended already, or started outside this history
        self.closed_before.append(key)
        self._count_end(entry[0], event)

    def _count_end(self, service: str, event: Any) -> None:
        counts, limit_s = self.counts[service], self.limits.get(service)
        if type(event) is Exchange.Rejected:
            counts[_REJECTED] += 1
            self.rejections[(service, event.code)] += 1
        elif type(event) is Exchange.Completed:
            counts[_COMPLETED] += 1
            counts[_LATENCY_SUM] += event.latency_ms
            self.buckets[(service, bucket_of(event.latency_ms))] += 1
            if limit_s is not None and event.latency_ms > limit_s * 1000:
                counts[_LATE] += 1
        else:
            counts[_FAILED] += 1
            if limit_s is not None:
                counts[_UNANSWERED] += 1

    def write(self, tx: Tx) -> None:
        marks = ", ".join("?" for _ in COUNTERS)
        updates = ", ".join(f"{c} = service_metrics.{c} + excluded.{c}" for c in COUNTERS)
        tx.executemany(
            f"INSERT INTO service_metrics (service, provider, {', '.join(COUNTERS)}, limit_s) "  # noqa: S608
            f"VALUES (?, ?, {marks}, ?) ON CONFLICT (service) DO UPDATE SET {updates}, "
            "limit_s = excluded.limit_s",
            [
                (service, service_parts(service)[0], *values, self.limits.get(service))
                for service, values in self.counts.items()
            ],
        )
        for table, key, counter in (
            ("service_rejections", "code", self.rejections),
            ("service_latency", "bucket", self.buckets),
        ):
            tx.executemany(
                f"INSERT INTO {table} (service, {key}, count) VALUES (?, ?, ?) ON CONFLICT "  # noqa: S608
                f"(service, {key}) DO UPDATE SET count = {table}.count + excluded.count",
                [(service, k, n) for (service, k), n in counter.items()],
            )
        tx.executemany("DELETE FROM service_open WHERE id = ?", [(i,) for i in self.closed_before])
        tx.executemany(
            "INSERT INTO service_open (id, service, received_us) VALUES (?, ?, ?)",
            [(str(oid), service, at) for oid, (service, at) in self.opened.items()],
        )


def read_metrics(tx: Tx, as_of_us: int) -> list[ServiceStats]:
    """Every service's metrics; ``as_of_us`` is the moment overdue exchanges are counted at."""
    rejections: defaultdict[str, dict[str, int]] = defaultdict(dict)
    for service, code, count in tx.query(
        "SELECT service, code, count FROM service_rejections ORDER BY service, code"
    ):
        rejections[service][code] = int(count)
    buckets: defaultdict[str, list[tuple[int, int]]] = defaultdict(list)
    for service, bucket, count in tx.query("SELECT service, bucket, count FROM service_latency"):
        buckets[service].append((int(bucket), int(count)))
    overdue = dict(
        tx.query(
            "SELECT o.service, COUNT(*) FROM service_open o JOIN service_metrics m "
            "ON m.service = o.service WHERE m.limit_s IS NOT NULL "
            "AND o.received_us + m.limit_s * 1000000 < ? GROUP BY o.service",
            (as_of_us,),
        )
    )
    stats = []
    columns = ", ".join(COUNTERS)
    for row in tx.query(
        f"SELECT service, provider, {columns}, limit_s FROM service_metrics ORDER BY service"  # noqa: S608
    ):
        service, provider, *values, limit_s = row
        counts = dict(zip(COUNTERS, values, strict=True))
        stats.append(
            ServiceStats(
                service=service,
                provider=provider,
                **{k: int(v) for k, v in counts.items() if k != "latency_sum_ms"},
                latency_sum_ms=float(counts["latency_sum_ms"]),
                overdue=int(overdue.get(service, 0)),
                limit_s=limit_s,
                p50_ms=quantile(buckets[service], 0.5),
                p95_ms=quantile(buckets[service], 0.95),
                rejections=rejections[service],
            )
        )
    return stats
