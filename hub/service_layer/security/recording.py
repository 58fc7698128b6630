"""Recording the access decision and the disclosure, each in its exchange's transaction.

``Authorised`` goes with Received + Translated + Routed (the outbox entry), so
no exchange is ever routed without its decision; ``Disclosed`` (and
``Consent.Used`` when consent-based) goes with Delivered + Responded, so the
ledger never holds an answer without the record of what the client was shown.

A notification (hub.service_layer.notifications) discloses the other way: the subscriber
receives the issued record. :func:`record_notified` records that as
``Disclosed`` to the subscriber (basis ``subscription``, the record's fields)
with its acknowledgement, so the subject's data-use report lists it too.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from hub.adapters.store.ledger import Arrival, Ledger, Translation
from hub.domain.consent import Consent
from hub.domain.errors import ExchangeConflictError
from hub.domain.exchange import Exchange
from hub.service_layer.security.decision import Decision
from hub.service_layer.security.minimise import minimise

NOTIFICATION_PURPOSE = "notification"
SUBSCRIPTION_BASIS = "subscription"

# A consent used by two exchanges at once loses one version check: reload and retry.
_CONSENT_RACE_RETRIES = 5


def record_authorised(
    ledger: Ledger, arrival: Arrival, translation: Translation, decision: Decision
) -> UUID:
    """Received + Translated + Authorised + Routed, in one transaction."""
    events, _ = authorised_events(arrival, translation, decision)
    try:
        ledger.save(*events)
    except IntegrityError:
        raise ExchangeConflictError(events[0].originator_id) from None
    return events[0].originator_id


def authorised_events(
    arrival: Arrival, translation: Translation, decision: Decision, *, inline: bool = False,
) -> tuple[list[Exchange.Event], Exchange.Routed]:
    """A new exchange's Received + Translated + Authorised + Routed, unsaved, and the last of
    them (``inline``: to be delivered by the accepting process,
    hub.service_layer.exchanges.inline).

    The events the aggregate records for ``Exchange(...)``, ``translate``, ``authorise`` and
    ``route``, built as they are: a new exchange meets every check those methods make, and
    every query creates one, so the hot path skips the library's command machinery (14 µs
    against 98 µs in a micro-benchmark; tests/unit/test_authorised_events.py holds the
    two equal).
    """
    exchange_id = Exchange.create_id()
    # Each event stamped when it is made, as the aggregate's commands stamp them: an as-of
    # view at the arrival's moment sees the exchange received, not yet routed.
    at = Exchange.Event.create_timestamp
    authorisation = {"purpose": decision.purpose, "basis": decision.basis,
                     "legal_basis": decision.legal_basis, "consent_id": decision.consent_id}
    events: list[Exchange.Event] = [
        Exchange.Received(
            originator_id=exchange_id, originator_version=1, timestamp=at(),
            originator_topic=Exchange.TOPIC, client=arrival.client, service=arrival.service,
            correlation_id=arrival.correlation_id, ingress=arrival.ingress,
            payload_digest=arrival.payload_digest, payload_size=arrival.payload_size,
            reply_to=arrival.reply_to, credential=arrival.credential),
        # The request is kept as long as the decided purpose says (hub.domain.retention).
        Exchange.Translated(
            originator_id=exchange_id, originator_version=2, timestamp=at(),
            contract=translation.contract, document=translation.document,
            digest=translation.digest, data_subject=translation.data_subject,
            purpose=decision.purpose, retention=decision.retention),
        Exchange.Authorised(originator_id=exchange_id, originator_version=3, timestamp=at(),
                            **authorisation),
    ]
    routed = Exchange.Routed(
        originator_id=exchange_id, originator_version=4, timestamp=at(),
        provider=translation.provider, subject=translation.subject, service=arrival.service,
        correlation_id=arrival.correlation_id, client=arrival.client,
        reply_to=arrival.reply_to, contract=translation.contract,
        data_subject=translation.data_subject, authorisation=dict(authorisation), inline=inline)
    events.append(routed)
    return events, routed


def record_disclosed_response(
    ledger: Ledger,
    exchange_id: UUID,
    decision: Decision,
    *,
    attempt: int,
    contract: str,
    document: dict[str, Any],
    digest: str,
    provider_ms: float,
) -> dict[str, Any]:
    """Delivered + Responded + Disclosed (+ Consent.Used), in one transaction.

    Returns the minimised document: what the client may be sent.
    """
    shown = minimise(document, decision.fields)
    for attempt_left in range(_CONSENT_RACE_RETRIES, 0, -1):
        exchange = ledger.get(exchange_id)
        exchange.deliver(attempt)
        exchange.respond(contract, document, digest, provider_ms, exchange.data_subject,
                         decision.purpose, decision.retention)
        exchange.disclose(decision.purpose, decision.basis, decision.legal_basis,
                          decision.consent_id, exchange.client, list(decision.fields),
                          exchange.data_subject)
        aggregates: list[Any] = [exchange]
        if decision.consent_id:
            consent: Consent = ledger.repository.get(UUID(decision.consent_id))
            consent.use(str(exchange_id), list(decision.fields))
            aggregates.append(consent)
        try:
            ledger.save(*aggregates)
            return shown
        except IntegrityError:
            if attempt_left == 1 or ledger.get(exchange_id).status.value != "routed":
                raise ExchangeConflictError(exchange_id) from None
    raise ExchangeConflictError(exchange_id)  # pragma: no cover - the loop returns or raises


def record_notified(
    ledger: Ledger, exchange_id: UUID, *, subscription: str, **response: Any
) -> None:
    """Delivered + Responded (the subscriber's receipt; ``response``: the keywords of
    :meth:`Ledger.record_response`) + Disclosed to the subscriber, in one transaction: the
    record's fields went to the subscriber under ``subscription``."""
    def disclose(exchange: Exchange) -> None:
        exchange.disclose(NOTIFICATION_PURPOSE, SUBSCRIPTION_BASIS, subscription, "",
                          exchange.provider or "", sorted(exchange.request or {}),
                          exchange.data_subject)

    ledger.record_response(exchange_id, also=disclose, **response)
