"""Dead letters as the ledger records them: for ``interop-hub dlq list|show|requeue``.

Everything here reads or writes the ledger only, so it works with the hub
stopped. The dead-letter stream holds the same letters for tooling that
watches NATS; the ledger is the authority.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from uuid import UUID

from hub.adapters.store.ledger import Ledger
from hub.domain.errors import ExchangeStateError
from hub.domain.exchange import Exchange, Status
from hub.domain.originator import originator_uuid


@dataclass(frozen=True)
class DeadLetterEntry:
    """One dead-lettered exchange and why."""

    id: UUID
    at: dt.datetime
    client: str
    service: str
    correlation_id: str
    attempts: int
    code: str
    message: str
    status: str  # now: dead-lettered, or routed/responded/... after a requeue
    requeues: int


def dead_lettered_ids(ledger: Ledger, batch: int = 500) -> Iterator[UUID]:
    """Ids of every exchange ever dead-lettered, in the order they were (each once)."""
    seen: set[UUID] = set()
    start = 1
    while True:
        page = ledger.notifications(start, batch, (Exchange.DeadLettered.TOPIC,))
        if not page:
            return
        for notification in page:
            exchange_id = originator_uuid(notification.originator_id)
            if exchange_id not in seen:
                seen.add(exchange_id)
                yield exchange_id
        start = page[-1].id + 1


def dead_letter_of(ledger: Ledger, exchange_id: UUID) -> DeadLetterEntry | None:
    """The last dead-lettering of one exchange, or None if it never was."""
    events = ledger.history(exchange_id)
    last = None
    for index, event in enumerate(events):
        if isinstance(event, Exchange.DeadLettered):
            last = index
    if last is None:
        return None
    letter = events[last]
    assert isinstance(letter, Exchange.DeadLettered)
    failure = next((e for e in reversed(events[:last]) if isinstance(e, Exchange.DeliveryFailed)),
                   None)
    received = events[0]
    assert isinstance(received, Exchange.Received)
    return DeadLetterEntry(
        id=exchange_id,
        at=letter.timestamp,
        client=received.client,
        service=received.service,
        correlation_id=received.correlation_id,
        attempts=letter.attempts,
        code=failure.code if failure else "unknown",
        message=failure.reason if failure else letter.reason,
        status=ledger.get(exchange_id).status.value,
        requeues=sum(isinstance(e, Exchange.Requeued) for e in events),
    )


def dead_letters(ledger: Ledger, *, include_requeued: bool = False) -> list[DeadLetterEntry]:
    """Exchanges dead-lettered now (and, with ``include_requeued``, those replayed since)."""
    entries = []
    for exchange_id in dead_lettered_ids(ledger):
        entry = dead_letter_of(ledger, exchange_id)
        if entry is not None and (include_requeued or entry.status == Status.DEAD_LETTERED):
            entries.append(entry)
    return entries


def requeue(ledger: Ledger, exchange_id: UUID, *, by: str, reason: str) -> Exchange:
    """Record ``Requeued``; the relay publishes the exchange again (now, or at the next start)."""
    exchange = ledger.get(exchange_id)
    if exchange.status not in (Status.DEAD_LETTERED, Status.FAILED):
        raise ExchangeStateError(
            exchange_id, "requeue",
            f"only a dead-lettered or failed exchange can be requeued, not {exchange.status.value}",
        )
    return ledger.record_requeued(exchange_id, by=by, reason=reason)
