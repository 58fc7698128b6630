"""The Routed event carries the delivery's facts (v2); a v1 event upcasts to "unknown", and
the relay then builds the delivery request the old way, from the exchange."""

from __future__ import annotations

import json

from eventsourcing.persistence import Notification, StoredEvent

from hub.adapters.store.ledger import Arrival, Ledger, Translation
from hub.domain.exchange import Exchange
from hub.service_layer.exchanges.relay import OutboxRelay
from hub.service_layer.exchanges.routing import ServiceDirectory

ARRIVAL = Arrival("north/tax", "north/social-security/contribution-history", "corr-1", "json",
                  "sha256:00", 42, "_hub.north.reply.x")
TRANSLATION = Translation("social-security.contribution-history-query@1.0", {"a": 1}, "sha256:1",
                          "north/social-security", "hub.north.deliver.x", data_subject="ds-1")


def _routed_stored(ledger: Ledger) -> StoredEvent:
    exchange = ledger.accepted(ARRIVAL, TRANSLATION)
    exchange.route(TRANSLATION.provider, TRANSLATION.subject)
    return ledger.mapper.to_stored_event(exchange.collect_events()[-1])


def _as_v1(stored: StoredEvent) -> StoredEvent:
    """The same event as version 1 stored it: the address only."""
    state = json.loads(stored.state)
    v1 = {k: state[k] for k in ("timestamp", "provider", "subject")} | {"class_version": 1}
    return StoredEvent(stored.originator_id, stored.originator_version, stored.topic,
                       json.dumps(v1).encode())


def _relay(ledger: Ledger) -> OutboxRelay:
    return OutboxRelay(ledger, bus=None, directory=ServiceDirectory("north", []),  # type: ignore[arg-type]
                       poll_s=1.0, inline_grace_s=15.0)


def test_the_relay_builds_the_request_from_a_v2_routed_event(ledger: Ledger) -> None:
    """Everything the worker needs besides the sealed request, and the routed version."""
    stored = _routed_stored(ledger)
    notification = Notification(id=7, originator_id=stored.originator_id,
                                originator_version=stored.originator_version,
                                topic=stored.topic, state=stored.state)
    relay = _relay(ledger)
    routed = relay._routed_event(notification)
    assert routed is not None and routed.inline is False
    request = relay._routed_request(notification, routed)
    assert request is not None
    assert (request.service, request.correlation_id, request.client, request.reply_to) == (
        ARRIVAL.service, "corr-1", "north/tax", ARRIVAL.reply_to)
    assert (request.contract, request.data_subject, request.version, request.ledger_position) == (
        TRANSLATION.contract, "ds-1", 3, 7)


def test_a_v1_routed_event_upcasts_and_the_relay_falls_back(ledger: Ledger) -> None:
    """Version 1 reads with empty facts; the relay then returns None (it loads instead)."""
    stored = _as_v1(_routed_stored(ledger))
    routed = ledger.mapper.to_domain_event(stored)
    assert isinstance(routed, Exchange.Routed)
    assert (routed.provider, routed.service, routed.authorisation) == (
        "north/social-security", "", None)
    notification = Notification(id=7, originator_id=stored.originator_id,
                                originator_version=stored.originator_version,
                                topic=stored.topic, state=stored.state)
    assert routed.inline is False  # version 3 added the claim; older events never had one
    assert _relay(ledger)._routed_request(notification, routed) is None
