"""Read views of the ledger for the CLI: exchange summaries and one exchange's timeline.

``exchanges list`` reads the exchange index (:func:`indexed_summaries`, see
:mod:`hub.adapters.projections`). ``summaries`` still replays each exchange from the
event store: it needs no read model, which suits a few exchanges (the demo's
own run) but not a long history.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from hub.adapters.crypto.envelope import is_erased
from hub.adapters.projections import ExchangeQuery, ReadView, search
from hub.adapters.store.ledger import Ledger
from hub.domain.errors import ExchangeNotFoundError
from hub.domain.exchange import Exchange


@dataclass(frozen=True)
class ExchangeSummary:
    """One line of ``exchanges list``."""

    id: UUID
    received_at: dt.datetime
    client: str
    service: str
    ingress: str
    status: str
    correlation_id: str
    latency_ms: float | None
    error: str | None


@dataclass(frozen=True)
class TimelineEntry:
    """One event of an exchange, as ``exchanges show`` prints it."""

    at: dt.datetime
    version: int
    event: str
    details: dict[str, Any]


def indexed_summaries(view: ReadView, query: ExchangeQuery) -> list[ExchangeSummary]:
    """Exchanges matching ``query``, oldest first, from the exchange index."""
    with view.store.transaction(write=False) as tx:
        rows = search(tx, query)
    return [
        ExchangeSummary(
            id=row.id,
            received_at=row.received_at,
            client=row.client,
            service=row.service,
            ingress=row.ingress,
            status=row.status,
            correlation_id=row.correlation_id,
            latency_ms=row.latency_ms,
            error=f"{row.error_code}: {row.error_message}" if row.error_code else None,
        )
        for row in rows
    ]


def summaries(ledger: Ledger) -> Iterator[ExchangeSummary]:
    """Every exchange, oldest first, each replayed from the event store (no index needed)."""
    for exchange_id in ledger.exchange_ids():
        yield summarise(ledger, exchange_id)


def summarise(ledger: Ledger, exchange_id: UUID) -> ExchangeSummary:
    events = ledger.history(exchange_id)
    exchange = ledger.get(exchange_id)
    latency = next((e.latency_ms for e in events if isinstance(e, Exchange.Completed)), None)
    error = exchange.error
    return ExchangeSummary(
        id=exchange_id,
        received_at=events[0].timestamp,
        client=exchange.client,
        service=exchange.service,
        ingress=exchange.ingress,
        status=exchange.status.value,
        correlation_id=exchange.correlation_id,
        latency_ms=latency,
        error=f"{error['code']}: {error['message']}" if error else None,
    )


_HIDDEN = {"originator_id", "originator_version", "originator_topic", "timestamp", "document"}


def timeline(ledger: Ledger, exchange_id: UUID) -> list[TimelineEntry]:
    """Every event of one exchange with its recorded fields (documents shown by digest)."""
    entries = []
    for event in ledger.history(exchange_id):
        details = {
            k: round(v, 2) if isinstance(v, float) else v
            for k, v in vars(event).items()
            if k not in _HIDDEN or is_erased(v)  # an erased payload is shown as such
        }
        entries.append(
            TimelineEntry(event.timestamp, event.originator_version, type(event).__name__, details)
        )
    return entries


def find_exchange(ledger: Ledger, prefix: str) -> UUID:
    """Resolve a full id or a unique prefix of one (as printed by ``exchanges list``)."""
    try:
        return UUID(prefix)
    except ValueError:
        pass
    matches = [i for i in ledger.exchange_ids() if str(i).startswith(prefix)]
    if len(matches) != 1:
        raise ExchangeNotFoundError(prefix if not matches else f"{prefix} (ambiguous)")
    return matches[0]


@dataclass(frozen=True)
class Totals:
    """Outcome counts and latency of a set of exchanges."""

    total: int
    completed: int
    rejected: int
    failed: int
    pending: int
    p50_ms: float | None
    p95_ms: float | None


def totals(rows: list[ExchangeSummary]) -> Totals:
    latencies = sorted(r.latency_ms for r in rows if r.latency_ms is not None)
    failed = sum(r.status in ("failed", "dead-lettered") for r in rows)
    completed = sum(r.status == "completed" for r in rows)
    rejected = sum(r.status == "rejected" for r in rows)
    return Totals(
        total=len(rows),
        completed=completed,
        rejected=rejected,
        failed=failed,
        pending=len(rows) - completed - rejected - failed,
        p50_ms=statistics.median(latencies) if latencies else None,
        p95_ms=_percentile(latencies, 0.95),
    )


def _percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    if len(sorted_values) == 1:
        return sorted_values[0]
    return statistics.quantiles(sorted_values, n=100, method="inclusive")[round(q * 100) - 1]
