"""A query's first four events, built directly, are the ones the Exchange aggregate records."""

from __future__ import annotations

from typing import Any

import pytest

from hub.adapters.store.ledger import Arrival, Translation
from hub.domain.exchange import Exchange, Status
from hub.service_layer.security.decision import Decision
from hub.service_layer.security.recording import authorised_events

ARRIVAL = Arrival(client="north/tax", service="north/social-security/contribution-history",
                  correlation_id="c-1", ingress="soap", payload_digest="a" * 64,
                  payload_size=321, reply_to="_hub.inbox.x.token", credential="ab12")
TRANSLATION = Translation(
    contract="social-security.contribution-history-query@1.0",
    document={"national_id": "19800101-1234", "from_year": 2020}, digest="b" * 64,
    provider="north/social-security", subject="hub.north.deliver.social-security.x",
    data_subject="ref-1")
DECISION = Decision(purpose="tax-assessment", basis="legal-basis", legal_basis="Tax Act §5",
                    consent_id="", fields=("periods",), retention="P1Y")


def _by_the_aggregate(inline: bool) -> list[Exchange.Event]:
    """The same exchange through the aggregate's commands."""
    exchange = Exchange(
        client=ARRIVAL.client, service=ARRIVAL.service, correlation_id=ARRIVAL.correlation_id,
        ingress=ARRIVAL.ingress, payload_digest=ARRIVAL.payload_digest,
        payload_size=ARRIVAL.payload_size, reply_to=ARRIVAL.reply_to,
        credential=ARRIVAL.credential)
    exchange.translate(TRANSLATION.contract, TRANSLATION.document, TRANSLATION.digest,
                       TRANSLATION.data_subject, DECISION.purpose, DECISION.retention)
    exchange.authorise(DECISION.purpose, DECISION.basis, DECISION.legal_basis,
                       DECISION.consent_id)
    exchange.route(TRANSLATION.provider, TRANSLATION.subject, inline=inline)
    return list(exchange.collect_events())


def _fields(event: Exchange.Event) -> dict[str, Any]:
    """An event's fields but its exchange id and timestamp (new for every exchange)."""
    return {k: v for k, v in event.__dict__.items() if k not in ("originator_id", "timestamp")}


@pytest.mark.parametrize("inline", [False, True])
def test_the_events_are_the_aggregates(inline: bool) -> None:
    built, routed = authorised_events(ARRIVAL, TRANSLATION, DECISION, inline=inline)
    expected = _by_the_aggregate(inline)
    assert [type(e) for e in built] == [type(e) for e in expected]
    assert [_fields(e) for e in built] == [_fields(e) for e in expected]
    assert routed is built[-1]
    assert len({e.originator_id for e in built}) == 1
    # stamped one by one, as the commands stamp them (an as-of view between them sees it so)
    stamps = [e.timestamp for e in built]
    assert stamps == sorted(stamps)
    assert stamps[0] < stamps[-1]


def test_the_events_rebuild_a_routed_exchange() -> None:
    built, _ = authorised_events(ARRIVAL, TRANSLATION, DECISION, inline=True)
    exchange: Any = None
    for event in built:
        exchange = event.mutate(exchange)
    assert exchange.status is Status.ROUTED
    assert exchange.version == 4
    assert exchange.request == TRANSLATION.document
    assert exchange.provider == TRANSLATION.provider
    assert exchange.authorisation == {"purpose": DECISION.purpose, "basis": DECISION.basis,
                                      "legal_basis": DECISION.legal_basis, "consent_id": ""}
    # what the aggregate does next is allowed: the rebuilt exchange is a routed one
    exchange.deliver(1)
    assert exchange.status is Status.DELIVERING


def test_every_exchange_gets_its_own_id() -> None:
    first, _ = authorised_events(ARRIVAL, TRANSLATION, DECISION)
    second, _ = authorised_events(ARRIVAL, TRANSLATION, DECISION)
    assert first[0].originator_id != second[0].originator_id
