"""Inline delivery: the accepting process delivers, and the relay recovers a claim its
process did not settle (hub.service_layer.exchanges.inline).

Real nats-server, real SQLite ledger, the hub's own relay and region wiring.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID

import httpx
import nats

from hub.adapters.nats.bus import JetStreamBus, StreamSpec
from hub.adapters.nats.server import NatsServerProcess
from hub.adapters.store.ledger import Arrival, Ledger, Translation
from hub.bootstrap.privacy import build_ledger
from hub.domain.exchange import Exchange
from hub.service_layer.exchanges.dead_letters import delivery_stream_name
from hub.service_layer.exchanges.inline import handover_msg_id
from hub.service_layer.exchanges.relay import OutboxRelay
from hub.service_layer.exchanges.routing import ServiceDirectory
from hub.settings import HubSettings
from simulations.departments import DepartmentEndpoints, region_services
from tests.integration.hub_fixtures import auth_headers, completed, running_region
from tests.waiting import wait_until_async

SS = "north/social-security/contribution-history"
TAX = "north/tax/tax-clearance"
QUERY = {"national_id": "19800101-1234", "period_start": "2000-01-01", "period_end": "2026-12-31"}
GRACE_S = 1.0


async def _stream_messages(url: str) -> list[tuple[dict[str, str], dict[str, object]]]:
    """Every message in the region's delivery stream: (headers, body)."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(delivery_stream_name("north"))
        found = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            if info.state.messages == 0:
                break
            msg = await js.get_msg(delivery_stream_name("north"), seq)
            found.append((dict(msg.headers or {}), json.loads(msg.data or b"{}")))
        return found
    finally:
        await nc.close()


async def test_a_query_is_delivered_by_the_process_that_accepted_it(
        hub_settings: HubSettings) -> None:
    """The exchange is claimed inline and answered without a message on the stream."""
    async with running_region(hub_settings) as region:
        hub = region.hub
        async with httpx.AsyncClient(timeout=30) as http:
            response = await http.post(
                f"{hub.http_url}/services/{SS}", content=json.dumps(QUERY).encode(),
                headers=auth_headers(hub, "north/tax", **{"Content-Type": "application/json"}))
        assert response.status_code == 200, response.text
        exchange_id = response.headers["X-Exchange-Id"]
        await completed(hub, exchange_id)
        history = hub.ledger.history(UUID(exchange_id))
        routed = [e for e in history if isinstance(e, Exchange.Routed)]
        assert len(routed) == 1 and routed[0].inline is True
        assert [type(e).__name__ for e in history][-4:] == [
            "Delivered", "Responded", "Disclosed", "Completed"]
        stream = await hub.bus.stream_info(delivery_stream_name("north"))
        assert stream.state.messages == 0  # nothing went through JetStream
        assert region.social_security.calls == 1


def _claim(ledger: Ledger, directory: ServiceDirectory, correlation_id: str) -> UUID:
    """What a process leaves that stopped right after claiming an exchange inline."""
    exchange = ledger.accepted(
        Arrival("north/social-security", TAX, correlation_id, "json", "sha256:0", 1, ""),
        Translation("tax.clearance-query@1.0", {"national_id": "19800101-1234",
                                                "tax_year": 2025}, "sha256:1", "north/tax",
                    directory.delivery_subject(directory.get(TAX))))
    exchange.route("north/tax", directory.delivery_subject(directory.get(TAX)), inline=True)
    ledger.save(exchange)
    return exchange.id


@contextlib.asynccontextmanager
async def _relaying(ledger: Ledger, bus: JetStreamBus, directory: ServiceDirectory
                    ) -> AsyncIterator[OutboxRelay]:
    relay = OutboxRelay(ledger, bus, directory, poll_s=0.05, inline_grace_s=GRACE_S)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        yield relay
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


@contextlib.asynccontextmanager
async def _region_store(nats_server: NatsServerProcess, tmp_path: Path
                        ) -> AsyncIterator[tuple[Ledger, JetStreamBus, ServiceDirectory]]:
    """The region's ledger, bus and directory, as the bootstrap builds them."""
    ledger = build_ledger(HubSettings(data=tmp_path / "hub"))
    directory = ServiceDirectory("north", region_services(
        "north", DepartmentEndpoints("http://127.0.0.1:9/wsdl", "http://127.0.0.1:9")))
    stream = StreamSpec(delivery_stream_name("north"), ["hub.north.deliver.>"])
    bus = await JetStreamBus.connect(nats_server.url, stream, name="test-hub")
    try:
        yield ledger, bus, directory
    finally:
        await bus.close()
        ledger.close()


async def test_an_unsettled_claim_is_held_then_published_even_after_a_takeover(
        nats_server: NatsServerProcess, tmp_path: Path) -> None:
    """Within the grace period nothing is published and the saved position stays before
    the claim; a relay taking over later reads the claim again and publishes it once, as
    a versionless request under the handover id."""
    async with _region_store(nats_server, tmp_path) as (ledger, bus, directory):
        claimed = _claim(ledger, directory, "corr-held")
        position = ledger.notifications(1, 100, (Exchange.Routed.TOPIC,))[-1].id
        async with _relaying(ledger, bus, directory) as first:
            await asyncio.sleep(0.3)
        assert await _stream_messages(nats_server.url) == []
        assert first.position < position  # the claim is read again by whoever comes next
        async with _relaying(ledger, bus, directory) as second:
            await wait_until_async(lambda: second.published == 1, timeout_s=5)
            await asyncio.sleep(0.2)
        [(headers, body)] = await _stream_messages(nats_server.url)
        assert headers["Nats-Msg-Id"] == handover_msg_id("north", claimed)
        assert body["exchange_id"] == str(claimed) and body["version"] is None
        assert second.position >= position


async def test_a_settled_claim_is_never_published(
        nats_server: NatsServerProcess, tmp_path: Path) -> None:
    """A claim followed by its Delivered is released: the relay moves past it, silent."""
    async with _region_store(nats_server, tmp_path) as (ledger, bus, directory):
        claimed = _claim(ledger, directory, "corr-settled")
        exchange = ledger.get(claimed)
        exchange.deliver(1)
        ledger.save(exchange)
        last = ledger.notifications(1, 100)[-1].id
        async with _relaying(ledger, bus, directory) as relay:
            await asyncio.sleep(GRACE_S + 0.5)
        assert relay.published == 0
        assert await _stream_messages(nats_server.url) == []
        assert relay.position >= last - 1
