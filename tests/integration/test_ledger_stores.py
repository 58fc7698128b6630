"""The ledger's use cases on every event store back end (SQLite file, PostgreSQL).

What the store itself must do for them (append, conflicts, the notification log,
tracking) is the shared port suite, tests/ports/test_event_store.py.
"""

from __future__ import annotations

from uuid import UUID

import pytest

from hub.adapters.store.ledger import Arrival, Ledger, Problem, Translation
from hub.domain.errors import ExchangeNotFoundError, ExchangeStateError
from hub.domain.exchange import Exchange, Status

ARRIVAL = Arrival(
    "north/tax",
    "north/social-security/contribution-history",
    "corr-1",
    "json",
    "sha256:00",
    42,
    "_hub.north.reply.x.y",
)
TRANSLATION = Translation(
    "social-security.contribution-history-query@1.0",
    {"national_id": "19800101-1234"},
    "sha256:11",
    "north/social-security",
    "hub.north.deliver.social-security.x",
)


@pytest.fixture
def ledger(store_ledger: Ledger) -> Ledger:
    """Every test here runs on each event store back end."""
    return store_ledger


def test_accepted_exchange_records_received_translated_routed_in_order(ledger: Ledger) -> None:
    """Recording an accepted query appends Received, Translated, Routed as one unit."""
    exchange_id = ledger.record_accepted(ARRIVAL, TRANSLATION)
    names = [type(e).__name__ for e in ledger.history(exchange_id)]
    assert names == ["Received", "Translated", "Routed"]
    page = ledger.notifications(1, 10)
    assert [n.topic for n in page] == [
        Exchange.Received.TOPIC,
        Exchange.Translated.TOPIC,
        Exchange.Routed.TOPIC,
    ]


def test_full_lifecycle_reaches_completed(ledger: Ledger) -> None:
    """Responded then Completed leaves the exchange completed with its answer kept."""
    exchange_id = ledger.record_accepted(ARRIVAL, TRANSLATION)
    ledger.record_response(
        exchange_id,
        attempt=1,
        contract="tax.clearance@1.0",
        document={"a": 1},
        digest="sha256:22",
        provider_ms=3.5,
    )
    ledger.record_completed(exchange_id, reply_digest="sha256:33", latency_ms=9.0)
    exchange = ledger.get(exchange_id)
    assert exchange.status is Status.COMPLETED
    assert exchange.response == {"a": 1}


def test_rejection_keeps_every_issue(ledger: Ledger) -> None:
    """A rejected input is recorded with each field issue intact."""
    issue = {"path": "/period_start", "reason": "bad date", "code": "date", "field": "x"}
    exchange_id = ledger.record_rejected(ARRIVAL, Problem("contract-violation", "1 error", [issue]))
    exchange = ledger.get(exchange_id)
    assert exchange.status is Status.REJECTED
    assert exchange.error == {"code": "contract-violation", "message": "1 error", "issues": [issue]}


def test_retryable_failures_then_dead_letter(ledger: Ledger) -> None:
    """Retryable failures keep the exchange routed; giving up dead-letters it."""
    exchange_id = ledger.record_accepted(ARRIVAL, TRANSLATION)
    ledger.record_failure(
        exchange_id,
        attempt=1,
        code="provider-unavailable",
        reason="down",
        retryable=True,
        give_up=False,
    )
    assert ledger.get(exchange_id).status is Status.ROUTED
    ledger.record_failure(
        exchange_id,
        attempt=2,
        code="provider-unavailable",
        reason="down",
        retryable=True,
        give_up=True,
    )
    assert ledger.get(exchange_id).status is Status.DEAD_LETTERED


def test_terminal_exchange_refuses_further_steps(ledger: Ledger) -> None:
    """A rejected exchange cannot be answered afterwards."""
    exchange_id = ledger.record_rejected(ARRIVAL, Problem("malformed-input", "bad", []))
    with pytest.raises(ExchangeStateError):
        ledger.record_response(
            exchange_id, attempt=1, contract="c@1.0", document={}, digest="d", provider_ms=1
        )


def test_unknown_exchange_is_a_domain_error(ledger: Ledger) -> None:
    """Loading an id that was never recorded raises ExchangeNotFoundError."""
    with pytest.raises(ExchangeNotFoundError):
        ledger.get(UUID(int=7))


def test_exchange_ids_in_arrival_order(ledger: Ledger) -> None:
    """exchange_ids lists every exchange once, in the order received."""
    ids = [ledger.record_accepted(ARRIVAL, TRANSLATION) for _ in range(3)]
    ids.append(ledger.record_rejected(ARRIVAL, Problem("x", "y", [])))
    assert list(ledger.exchange_ids(batch=2)) == ids

