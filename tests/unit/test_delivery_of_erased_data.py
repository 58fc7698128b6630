"""An exchange whose request expired (or was forgotten) before delivery fails clearly: it is
recorded as a DeliveryFailed naming why, never a traceback, and the provider is not called."""

from __future__ import annotations

import datetime as dt
import json

from hub.adapters.store.ledger import Arrival, Ledger
from hub.domain.exchange import Exchange, Status
from hub.service_layer.exchanges.messages import DeliveryRequest
from hub.service_layer.privacy.retention import RetentionEnforcer, utc_now
from tests.unit.test_delivery_idempotence import (
    QUERY,
    SERVICE,
    FakeBus,
    FakeDelivery,
    FakeTaxAdapter,
    _worker,
)


async def test_a_request_past_its_retention_fails_delivery_naming_why(ledger: Ledger) -> None:
    """Sealed in 2019 for a month, routed, then its key expired (say, dead-lettered and
    requeued since): the worker records DeliveryFailed ``personal-data-erased`` naming the
    purpose and bucket, acks, and answers the client with that code."""
    ref = ledger.keyring.ref_for(QUERY["national_id"])  # type: ignore[arg-type]
    exchange = ledger.receive(
        Arrival("north/social-security", SERVICE, "c-1", "json", "sha256:0", 1, "_reply.x"))
    exchange.trigger_event(
        Exchange.Translated, timestamp=dt.datetime(2019, 12, 1, tzinfo=dt.UTC),
        contract="tax.clearance-query@1.0", document=QUERY, digest="sha256:1",
        data_subject=ref, purpose="licence-renewal", retention="P1M")
    exchange.route("north/tax", "s")
    ledger.save(exchange)
    assert len(RetentionEnforcer(ledger, ledger.keyring, clock=utc_now).run_once()) == 1
    bus, adapter = FakeBus(), FakeTaxAdapter()
    delivery = FakeDelivery(DeliveryRequest(
        exchange_id=str(exchange.id), ledger_position=3, service=SERVICE,
        correlation_id="c-1").model_dump_json().encode())

    await _worker(ledger, bus, {SERVICE: adapter}).handle(delivery)

    assert adapter.calls == 0 and delivery.settled == ["ack"]
    settled = ledger.get(exchange.id)
    assert settled.status is Status.FAILED
    assert settled.error is not None and settled.error["code"] == "personal-data-erased"
    assert "purpose 'licence-renewal' ended (expiry bucket 2020-01)" in settled.error["message"]
    reply = json.loads(bus.sent[-1][1])
    assert reply["outcome"] == "failed" and reply["error"]["code"] == "personal-data-erased"
