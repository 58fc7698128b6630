"""The exchange index: one row per exchange, searchable without replaying the ledger.

Rows carry what operators search by (department, service, contract, outcome,
time, correlation id) and what ``exchanges list`` prints. Payloads and
personal data are not copied here: the ledger keeps them.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import UUID

from hub.adapters.projections.base import Event, EventHeader, Projection
from hub.adapters.projections.errors import InvalidQueryError
from hub.adapters.projections.store import Tx
from hub.adapters.projections.timestamps import from_micros, to_micros
from hub.domain.exchange import Exchange

COLUMNS = (
    "id", "received_us", "client", "service", "provider", "department", "service_name",
    "contract", "ingress", "status", "correlation_id", "attempts", "latency_ms",
    "error_code", "error_message",
)  # fmt: skip
# SQL in this package is built only from constant identifiers and "?" placeholders (hence
# the S608 waivers); values always travel as parameters.
_UPSERT = (
    f"INSERT INTO exchange_index ({', '.join(COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join('?' for _ in COLUMNS)}) ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])
)
_FETCH_CHUNK = 500
_row_values = operator.itemgetter(*COLUMNS)

OUTCOMES: dict[str, tuple[str, ...]] = {
    "completed": ("completed",),
    "rejected": ("rejected",),
    "failed": ("failed", "dead-lettered"),
    "dead-lettered": ("dead-lettered",),
    "pending": ("received", "routed", "delivering", "responded"),
}
"""``--outcome`` values and the statuses each covers (``failed`` includes dead-lettered)."""


def service_parts(service: str) -> tuple[str, str, str]:
    """``region/department/service`` → (``region/department``, department, service name)."""
    parts = service.split("/")
    if len(parts) != 3:
        return "", "", service
    return f"{parts[0]}/{parts[1]}", parts[1], parts[2]


@dataclass(frozen=True)
class IndexedExchange:
    """One row of the index."""

    id: UUID
    received_at: dt.datetime
    client: str
    service: str
    provider: str
    department: str
    contract: str | None
    ingress: str
    status: str
    correlation_id: str
    attempts: int
    latency_ms: float | None
    error_code: str | None
    error_message: str | None


@dataclass(frozen=True)
class ExchangeQuery:
    """Filters of a search; each one set narrows it (they combine with AND)."""

    service: str | None = None
    department: str | None = None
    contract: str | None = None
    outcome: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    correlation_id: str | None = None

    def __post_init__(self) -> None:
        if self.outcome is not None and self.outcome not in OUTCOMES:
            raise InvalidQueryError(
                f"unknown outcome {self.outcome!r}; use one of: {', '.join(OUTCOMES)}"
            )
        if self.since and self.until and self.until < self.since:
            raise InvalidQueryError("--until is before --since")

    def where(self) -> tuple[str, list[Any]]:
        """The SQL condition and its parameters."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.service:
            _service_clause(self.service, clauses, params)
        if self.department:
            column = "provider" if "/" in self.department else "department"
            clauses.append(f"{column} = ?")
            params.append(self.department)
        for column, value in (("contract", self.contract), ("correlation_id", self.correlation_id)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.outcome:
            statuses = OUTCOMES[self.outcome]
            clauses.append(f"status IN ({', '.join('?' for _ in statuses)})")
            params.extend(statuses)
        if self.since:
            clauses.append("received_us >= ?")
            params.append(to_micros(self.since))
        if self.until:
            clauses.append("received_us <= ?")
            params.append(to_micros(self.until))
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _service_clause(service: str, clauses: list[str], params: list[Any]) -> None:
    parts = service.split("/")
    if len(parts) == 3:
        clauses.append("service = ?")
        params.append(service)
    elif len(parts) == 2:
        clauses.append("department = ? AND service_name = ?")
        params.extend(parts)
    else:
        clauses.append("service_name = ?")
        params.append(service)


class ExchangeIndex(Projection):
    """One row per exchange, updated as its lifecycle events arrive."""

    name: ClassVar[str] = "exchange-index"
    version: ClassVar[int] = 1
    tables: ClassVar[tuple[str, ...]] = ("exchange_index",)
    topics: ClassVar[frozenset[str]] = frozenset(
        cls.TOPIC
        for cls in (
            Exchange.Received, Exchange.Rejected, Exchange.Translated, Exchange.Routed,
            Exchange.Delivered, Exchange.Responded, Exchange.DeliveryFailed,
            Exchange.DeadLettered, Exchange.Completed, Exchange.Requeued,
        )
    )  # fmt: skip
    # Routed and Responded only move the status on (the provider is the service's own
    # department, known from Received), so the index never decodes them.
    header_topics: ClassVar[frozenset[str]] = frozenset(
        {Exchange.Routed.TOPIC, Exchange.Responded.TOPIC}
    )

    def create(self, tx: Tx) -> None:
        tx.execute(
            "CREATE TABLE IF NOT EXISTS exchange_index ("
            "id TEXT PRIMARY KEY, received_us BIGINT NOT NULL, client TEXT NOT NULL, "
            "service TEXT NOT NULL, provider TEXT NOT NULL, department TEXT NOT NULL, "
            "service_name TEXT NOT NULL, contract TEXT, ingress TEXT NOT NULL, "
            "status TEXT NOT NULL, correlation_id TEXT NOT NULL, attempts INTEGER NOT NULL, "
            "latency_ms DOUBLE PRECISION, error_code TEXT, error_message TEXT)"
        )

    def create_indexes(self, tx: Tx) -> None:
        for name, columns in (
            ("received", "received_us"),
            ("department", "department, received_us"),
            ("service", "service, received_us"),
            ("contract", "contract, received_us"),
            ("status", "status, received_us"),
            ("correlation", "correlation_id"),
        ):
            tx.execute(
                f"CREATE INDEX IF NOT EXISTS ix_exchange_{name} ON exchange_index ({columns})"
            )

    def apply(self, tx: Tx, events: Sequence[Event]) -> None:
        rows: dict[UUID, dict[str, Any]] = {}
        earlier: list[Event] = []  # events of exchanges received before this batch
        for event in events:
            topic = _topic(event)
            handler = _HANDLERS.get(topic)
            if handler is None:
                continue
            row = rows.get(event.originator_id)
            if row is None:
                if topic != _RECEIVED:
                    earlier.append(event)
                    continue
                row = rows[event.originator_id] = {}
            handler(row, event)
        if earlier:
            # Few exchanges straddle a page boundary: read their rows once, then apply in order.
            stored = self._stored_rows(tx, list({str(e.originator_id) for e in earlier}))
            for event in earlier:
                row = stored.get(event.originator_id)
                if row is not None:  # else: its start is not in this history
                    _HANDLERS[_topic(event)](row, event)
            rows.update(stored)
        tx.executemany(_UPSERT, [_row_values(row) for row in rows.values()])

    def _stored_rows(self, tx: Tx, ids: list[str]) -> dict[UUID, dict[str, Any]]:
        rows: dict[UUID, dict[str, Any]] = {}
        for i in range(0, len(ids), _FETCH_CHUNK):
            chunk = ids[i : i + _FETCH_CHUNK]
            marks = ", ".join("?" for _ in chunk)
            found = tx.query(
                f"SELECT {', '.join(COLUMNS)} FROM exchange_index WHERE id IN ({marks})",  # noqa: S608
                chunk,
            )
            for values in found:
                rows[UUID(values[0])] = dict(zip(COLUMNS, values, strict=True))
        return rows


def search(tx: Tx, query: ExchangeQuery, limit: int | None = None) -> list[IndexedExchange]:
    """Exchanges matching ``query``, oldest first."""
    where, params = query.where()
    sql = f"SELECT {', '.join(COLUMNS)} FROM exchange_index{where} ORDER BY received_us, id"  # noqa: S608
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [_indexed(dict(zip(COLUMNS, values, strict=True))) for values in tx.query(sql, params)]


def _indexed(row: dict[str, Any]) -> IndexedExchange:
    return IndexedExchange(
        id=UUID(row["id"]),
        received_at=from_micros(int(row["received_us"])),
        client=row["client"],
        service=row["service"],
        provider=row["provider"],
        department=row["department"],
        contract=row["contract"],
        ingress=row["ingress"],
        status=row["status"],
        correlation_id=row["correlation_id"],
        attempts=int(row["attempts"]),
        latency_ms=row["latency_ms"],
        error_code=row["error_code"],
        error_message=row["error_message"],
    )


def _received(row: dict[str, Any], e: Any) -> None:
    provider, department, service_name = service_parts(e.service)
    row.update(
        id=str(e.originator_id), received_us=to_micros(e.timestamp), client=e.client,
        service=e.service, provider=provider, department=department, service_name=service_name,
        contract=None, ingress=e.ingress, status="received", correlation_id=e.correlation_id,
        attempts=0, latency_ms=None, error_code=None, error_message=None,
    )  # fmt: skip


def _rejected(row: dict[str, Any], e: Any) -> None:
    row.update(status="rejected", error_code=e.code, error_message=e.message)


def _translated(row: dict[str, Any], e: Any) -> None:
    row["contract"] = e.contract


def _routed(row: dict[str, Any], e: Any) -> None:
    row["status"] = "routed"  # a header topic: nothing but the fact may be read


def _delivered(row: dict[str, Any], e: Any) -> None:
    row.update(status="delivering", attempts=e.attempt)


def _responded(row: dict[str, Any], e: Any) -> None:
    row["status"] = "responded"  # a header topic: nothing but the fact may be read


def _delivery_failed(row: dict[str, Any], e: Any) -> None:
    row.update(
        status="routed" if e.retryable else "failed",
        attempts=e.attempt,
        error_code=e.code,
        error_message=e.reason,
    )


def _dead_lettered(row: dict[str, Any], e: Any) -> None:
    row["status"] = "dead-lettered"


def _requeued(row: dict[str, Any], e: Any) -> None:
    row.update(status="routed", error_code=None, error_message=None)


def _completed(row: dict[str, Any], e: Any) -> None:
    row.update(status="completed", latency_ms=e.latency_ms)


_HANDLERS: dict[str, Callable[[dict[str, Any], Any], None]] = {
    Exchange.Received.TOPIC: _received,
    Exchange.Rejected.TOPIC: _rejected,
    Exchange.Translated.TOPIC: _translated,
    Exchange.Routed.TOPIC: _routed,
    Exchange.Delivered.TOPIC: _delivered,
    Exchange.Responded.TOPIC: _responded,
    Exchange.DeliveryFailed.TOPIC: _delivery_failed,
    Exchange.DeadLettered.TOPIC: _dead_lettered,
    Exchange.Completed.TOPIC: _completed,
    Exchange.Requeued.TOPIC: _requeued,
}
_RECEIVED = Exchange.Received.TOPIC


def _topic(event: Event) -> str:
    return event.topic if type(event) is EventHeader else type(event).TOPIC  # type: ignore[attr-defined]
