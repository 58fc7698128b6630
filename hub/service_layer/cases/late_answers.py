"""A failed step's exchange answered later: an operator requeued it and the provider replied.

A step whose exchange failed or was dead-lettered records ``StepFailed`` with the
exchange's id. When an operator requeues that exchange (``interop-hub dlq requeue``) and
the provider answers, the answer is in the exchange's ``Responded`` event, not on the case:
:func:`late_answer` reads it back, with only the fields disclosed for its purpose (as the
gateway's answer would have held), so the engine's resume round can give it to the case.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from hub.adapters.store.ledger import Ledger
from hub.domain.exchange import Status
from hub.service_layer.security.minimise import minimise

ANSWERED = frozenset({Status.RESPONDED, Status.COMPLETED})


def late_answer(ledger: Ledger, exchange_id: str) -> dict[str, Any] | None:
    """The disclosed answer of exchange ``exchange_id`` if it has one now, else None."""
    if not exchange_id:
        return None
    exchange = ledger.get(UUID(exchange_id))
    if exchange.status not in ANSWERED:
        return None
    document: dict[str, Any] | None = exchange.response
    if document is None:
        return None
    fields = exchange.disclosed_fields
    return minimise(document, fields) if fields is not None else document
