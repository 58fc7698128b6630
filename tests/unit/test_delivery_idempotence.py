"""The delivery worker applies each exchange's effect once, whatever the redeliveries."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from uuid import UUID

from contracts import Contract
from contracts.tax import TaxClearance, TaxClearanceQuery
from hub.adapters.store.ledger import Arrival, Ledger, Translation
from hub.bootstrap.security import access_policy
from hub.domain.exchange import Exchange, Status
from hub.service_layer.exchanges.dead_letters import DeadLetters
from hub.service_layer.exchanges.delivery import DeliveryWorker
from hub.service_layer.exchanges.messages import DeliveryRequest
from hub.service_layer.exchanges.routing import ServiceDirectory
from translation.errors import ProviderUnavailable
from translation.port import ProviderAdapter

SERVICE = "north/tax/tax-clearance"
QUERY = {"national_id": "19800101-1234", "tax_year": 2025}


class FakeDelivery:
    """Implements hub.adapters.bus.port.Delivery; remembers how it was settled."""

    def __init__(self, data: bytes, attempt: int = 1) -> None:
        self.subject = "hub.north.deliver.tax.tax-clearance"
        self.data = data
        self.headers: Mapping[str, str] = {}
        self.attempt = attempt
        self.settled: list[str] = []

    async def ack(self) -> None:
        self.settled.append("ack")

    async def retry(self, delay: float) -> None:
        self.settled.append(f"retry {delay}")


class FakeBus:
    """Implements the transient side of hub.adapters.bus.port.Bus (records replies) and
    hub.service_layer.exchanges.dead_letters.DeadLetterBus (records dead letters)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []
        self.published: list[tuple[str, bytes]] = []

    async def send(self, subject: str, data: bytes, headers: object = None) -> None:
        self.sent.append((subject, data))

    async def publish(self, subject: str, data: bytes, *, msg_id: str,
                      headers: dict[str, str] | None = None) -> None:
        self.published.append((subject, data))

    async def stream_message(self, stream: str, sequence: int) -> bytes:
        raise LookupError(f"no message {sequence} in {stream}")


def _worker(ledger: Ledger, bus: FakeBus, adapters: Mapping[str, ProviderAdapter],
            backoff_s: float = 0) -> DeliveryWorker:
    """The hub's delivery worker over ``ledger``, with the region's access policy and
    dead-letter handling as bootstrap builds them."""
    return DeliveryWorker(ledger, bus, adapters, max_deliver=5, backoff_s=backoff_s,
                          policy=access_policy(ledger, "north"),
                          directory=ServiceDirectory("north", []),
                          dead_letters=DeadLetters(ledger, bus, "north"), inline=True)


class FakeTaxAdapter:
    """Implements translation.port.ProviderAdapter; slow enough for deliveries to overlap."""

    request_contract = TaxClearanceQuery
    response_contract = TaxClearance

    def __init__(self, fail_first: int = 0) -> None:
        self.calls = 0
        self.fail_first = fail_first

    async def call(self, request: Contract, *, correlation_id: str) -> Contract:
        self.calls += 1
        await asyncio.sleep(0.05)
        if self.calls <= self.fail_first:
            raise ProviderUnavailable("provider down")
        return TaxClearance(national_id="19800101-1234", tax_year=2025, status="cleared",
                            outstanding_amount="0.00", currency="EUR", issued_on="2026-01-01")

    async def aclose(self) -> None:
        return None


def _routed(ledger: Ledger) -> tuple[UUID, bytes]:
    exchange_id = ledger.record_accepted(
        Arrival("north/social-security", SERVICE, "c-1", "json", "sha256:0", 1, "_reply.x"),
        Translation("tax.clearance-query@1.0", QUERY, "sha256:1", "north/tax", "s"))
    request = DeliveryRequest(exchange_id=str(exchange_id), ledger_position=3, service=SERVICE,
                              correlation_id="c-1")
    return exchange_id, request.model_dump_json().encode()


def _responded_count(ledger: Ledger, exchange_id: UUID) -> int:
    return sum(isinstance(e, Exchange.Responded) for e in ledger.history(exchange_id))


async def test_redelivery_after_success_is_acked_without_calling_the_provider(
    ledger: Ledger,
) -> None:
    """A message delivered again after its effect was recorded is only acknowledged."""
    adapter, bus = FakeTaxAdapter(), FakeBus()
    worker = _worker(ledger, bus, {SERVICE: adapter})
    exchange_id, data = _routed(ledger)
    first, second = FakeDelivery(data), FakeDelivery(data, attempt=2)
    await worker.handle(first)
    await worker.handle(second)
    assert adapter.calls == 1
    assert first.settled == second.settled == ["ack"]
    assert _responded_count(ledger, exchange_id) == 1
    assert len(bus.sent) == 2  # the answer is re-sent in case the first reply was lost


async def test_concurrent_duplicate_deliveries_record_one_response(ledger: Ledger) -> None:
    """Two workers handling the same message at once: one Responded, both acked."""
    adapter, bus = FakeTaxAdapter(), FakeBus()
    worker = _worker(ledger, bus, {SERVICE: adapter})
    exchange_id, data = _routed(ledger)
    deliveries = [FakeDelivery(data), FakeDelivery(data, attempt=2)]
    await asyncio.gather(*(worker.handle(d) for d in deliveries))
    assert _responded_count(ledger, exchange_id) == 1
    assert [d.settled for d in deliveries] == [["ack"], ["ack"]]
    assert ledger.get(exchange_id).status is Status.RESPONDED


async def test_retryable_failure_is_retried_with_backoff_then_answered(ledger: Ledger) -> None:
    """An unavailable provider yields DeliveryFailed and a delayed retry; the retry answers."""
    adapter, bus = FakeTaxAdapter(fail_first=1), FakeBus()
    worker = _worker(ledger, bus, {SERVICE: adapter}, backoff_s=0.5)
    exchange_id, data = _routed(ledger)
    first, second = FakeDelivery(data), FakeDelivery(data, attempt=2)
    await worker.handle(first)
    assert first.settled == ["retry 0.5"]
    await worker.handle(second)
    assert second.settled == ["ack"]
    names = [type(e).__name__ for e in ledger.history(exchange_id)]
    assert names[-3:] == ["DeliveryFailed", "Delivered", "Responded"]


async def test_exchange_for_a_service_without_adapter_fails_for_good(ledger: Ledger) -> None:
    """No adapter for the service: a non-retryable failure is recorded and the message acked."""
    bus = FakeBus()
    worker = _worker(ledger, bus, {})
    exchange_id, data = _routed(ledger)
    delivery = FakeDelivery(data)
    await worker.handle(delivery)
    assert delivery.settled == ["ack"]
    assert ledger.get(exchange_id).status is Status.FAILED
    assert ledger.get(exchange_id).error["code"] == "unknown-service"
