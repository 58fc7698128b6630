"""A consumer killed (-9) before its ack: redelivered and applied once; killed every time:
JetStream's max-deliveries advisory lands the exchange in the DLQ within 5 s.

The killed consumers are child processes pulling from the hub's own durable consumer;
the survivor is the hub's real DeliveryWorker on the real bus (real nats-server,
real SQLite ledger). Only the provider is a fake implementing the adapter port.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import nats
from nats.js import api

from contracts import Contract
from contracts.tax import TaxClearance, TaxClearanceQuery
from hub.adapters.bus.port import ConsumerSpec
from hub.adapters.nats.bus import JetStreamBus, StreamSpec
from hub.adapters.nats.server import NatsServerProcess
from hub.adapters.store.ledger import Arrival, Ledger, Translation
from hub.bootstrap.privacy import build_ledger
from hub.bootstrap.reliability import Reliability, prepare_reliability
from hub.bootstrap.security import access_policy
from hub.domain.exchange import Exchange, Status
from hub.service_layer.exchanges.dead_letters import (
    MAX_DELIVERIES_CODE,
    delivery_stream_name,
    dlq_stream,
)
from hub.service_layer.exchanges.delivery import DeliveryWorker
from hub.service_layer.exchanges.relay import OutboxRelay
from hub.service_layer.exchanges.routing import ServiceDirectory
from hub.settings import HubSettings
from simulations.departments import DepartmentEndpoints, region_services
from tests.integration.fault_helpers import Counts, dlq_letters
from tests.waiting import wait_until_async

SERVICE = "north/tax/tax-clearance"
CONSUMER = "deliver-tax"
MAX_DELIVER, ACK_WAIT_S = 3, 1.0

# A consumer that takes one message and never settles it; the test kills it with -9.
_ROGUE = """
import asyncio, sys, nats
async def main():
    nc = await nats.connect(sys.argv[1])
    sub = await nc.jetstream().pull_subscribe_bind(durable=sys.argv[2], stream=sys.argv[3])
    msgs = await sub.fetch(1, timeout=20)
    print(msgs[0].metadata.num_delivered, flush=True)
    await asyncio.sleep(60)
asyncio.run(main())
"""


class CountingTaxAdapter:
    """Implements translation.port.ProviderAdapter: answers and counts calls per correlation id."""

    request_contract = TaxClearanceQuery
    response_contract = TaxClearance

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    async def call(self, request: Contract, *, correlation_id: str) -> Contract:
        self.calls[correlation_id] = self.calls.get(correlation_id, 0) + 1
        return TaxClearance(national_id="19800101-1234", tax_year=2025, status="cleared",
                            outstanding_amount="0.00", currency="EUR", issued_on="2026-01-01")

    async def aclose(self) -> None:
        return None


@dataclass
class Parts:
    ledger: Ledger
    bus: JetStreamBus
    relay: OutboxRelay
    reliability: Reliability
    spec: ConsumerSpec
    url: str
    directory: ServiceDirectory


@contextlib.asynccontextmanager
async def hub_parts(nats_server: NatsServerProcess, tmp_path: Path) -> AsyncIterator[Parts]:
    """The hub's ledger, bus, relay and dead-letter handling, wired as bootstrap does."""
    settings = HubSettings(data=tmp_path / "hub", max_deliver=MAX_DELIVER)
    settings.data.mkdir(parents=True)
    ledger = build_ledger(settings)
    stream = StreamSpec(delivery_stream_name("north"), ["hub.north.deliver.>"])
    bus = await JetStreamBus.connect(nats_server.url, stream, name="test-hub")
    reliability = await prepare_reliability(bus, ledger, settings, nats_server.monitor_url)
    directory = ServiceDirectory("north", region_services(
        "north", DepartmentEndpoints("http://127.0.0.1:9/wsdl", "http://127.0.0.1:9")))
    relay = OutboxRelay(ledger, bus, directory, poll_s=0.05, inline_grace_s=15.0)
    spec = ConsumerSpec(CONSUMER, directory.department_filter("tax"), MAX_DELIVER, ACK_WAIT_S)
    await _create_consumer(nats_server.url, stream.name, spec)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(relay.run(stop)),
             asyncio.create_task(bus.consume(reliability.advisories,
                                             reliability.dead_letters.on_advisory, stop))]
    try:
        yield Parts(ledger, bus, relay, reliability, spec, nats_server.url, directory)
    finally:
        stop.set()
        await asyncio.wait(tasks, timeout=15)
        await bus.close()
        ledger.close()


async def _create_consumer(url: str, stream: str, spec: ConsumerSpec) -> None:
    """The durable consumer, as JetStreamBus.consume configures it, before anyone pulls."""
    nc = await nats.connect(url)
    try:
        await nc.jetstream().add_consumer(stream, api.ConsumerConfig(
            durable_name=spec.name, ack_policy=api.AckPolicy.EXPLICIT, ack_wait=spec.ack_wait_s,
            max_deliver=spec.max_deliver, max_ack_pending=spec.concurrency * 4,
            filter_subject=spec.subject_filter))
    finally:
        await nc.close()


def _record(ledger: Ledger, correlation_id: str) -> UUID:
    return ledger.record_accepted(
        Arrival("north/social-security", SERVICE, correlation_id, "json", "sha256:0", 1, ""),
        Translation("tax.clearance-query@1.0", {"national_id": "19800101-1234",
                                                "tax_year": 2025}, "sha256:1", "north/tax", "s"))


async def _rogue_takes_and_dies(url: str) -> int:
    """A child consumer fetches one message, then is killed -9 before any ack."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _ROGUE, url, CONSUMER, delivery_stream_name("north"),
        stdout=asyncio.subprocess.PIPE)
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 25)
        assert line.strip(), "the rogue consumer got no message"
        return int(line)
    finally:
        child.kill()  # SIGKILL
        await asyncio.wait_for(child.wait(), 10)


def _events(ledger: Ledger, exchange_id: UUID) -> list[str]:
    return [type(e).__name__ for e in ledger.history(exchange_id)]


async def test_killed_consumer_redelivers_once_then_dead_letters_on_max_deliveries(
    nats_server: NatsServerProcess, tmp_path: Path
) -> None:
    """Killed once: the worker gets attempt 2 and applies it once. Killed on every attempt:
    the advisory dead-letters it (DeadLettered recorded, DLQ letter) within 5 s."""
    adapter = CountingTaxAdapter()
    async with hub_parts(nats_server, tmp_path) as parts:
        ledger = parts.ledger
        first = _record(ledger, "kill-once")
        parts.relay.wake()
        assert await _rogue_takes_and_dies(parts.url) == 1
        worker = DeliveryWorker(ledger, parts.bus, {SERVICE: adapter},
                                max_deliver=MAX_DELIVER, backoff_s=0.05,
                                policy=access_policy(ledger, "north"), directory=parts.directory,
                                dead_letters=parts.reliability.dead_letters, inline=True)
        stop = asyncio.Event()
        consuming = asyncio.create_task(parts.bus.consume(parts.spec, worker.handle, stop))
        await wait_until_async(
            lambda: ledger.get(first).status is Status.RESPONDED, timeout_s=15,
            message="the redelivered exchange is answered", interval_s=0.1, in_thread=True)
        stop.set()
        await asyncio.wait_for(consuming, 15)
        delivered = [e for e in ledger.history(first) if isinstance(e, Exchange.Delivered)]
        assert [e.attempt for e in delivered] == [2]  # the killed attempt left no effect
        assert _events(ledger, first).count("Responded") == 1
        assert adapter.calls == {"kill-once": 1}

        doomed = _record(ledger, "kill-always")
        parts.relay.wake()
        attempts = [await _rogue_takes_and_dies(parts.url) for _ in range(MAX_DELIVER)]
        exhausted = time.monotonic()
        assert attempts == [1, 2, 3]
        # The worker is back: JetStream judges redelivery when someone pulls, and finds
        # none left (max_deliver), so it raises the advisory instead.
        stop = asyncio.Event()
        consuming = asyncio.create_task(parts.bus.consume(parts.spec, worker.handle, stop))
        # The one time bound (the issue's): in the DLQ within 5 s of the last attempt.
        await wait_until_async(
            lambda: ledger.get(doomed).status is Status.DEAD_LETTERED, timeout_s=5,
            message="DeadLettered within 5 s of the last attempt", interval_s=0.05, in_thread=True)
        took = time.monotonic() - exhausted
        stop.set()
        await asyncio.wait_for(consuming, 15)
        failure = [e for e in ledger.history(doomed) if isinstance(e, Exchange.DeliveryFailed)]
        assert [(e.code, e.attempt) for e in failure] == [(MAX_DELIVERIES_CODE, MAX_DELIVER)]
        letters = await dlq_letters(parts.url, dlq_stream("north").name)
        assert [(x["exchange_id"], x["source"]) for x in letters] == [
            (str(doomed), "max-deliveries")]
        assert "kill-always" not in adapter.calls
        print(Counts(sent=2, acked=1, recorded=2, delivered=1, duplicates=0, lost=0)
              .line("consumer-kill"),
              f"dead_lettered=1 dlq_after_last_attempt_s={took:.2f} (ack_wait {ACK_WAIT_S} s)")


