"""Cross-region queries: regions as separate hubs joined by NATS leaf nodes (issue #5 part 6)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import nats
import pytest
import requests
import zeep
from zeep.transports import Transport

from hub.adapters.peers import subjects
from hub.adapters.peers.messages import RemoteAnswer
from hub.domain.exchange import Status
from hub.entrypoints.nats.peer_ingress import INGRESS
from hub.entrypoints.serve import Hub
from hub.settings import HubSettings
from simulations.scenario import HARDENED_ZEEP
from tests.integration.hub_fixtures import auth_headers
from tests.integration.links_fixtures import LinkedRegion, linked_regions
from tests.waiting import wait_until_async

HISTORY = {"national_id": "19800101-1234", "period_start": "2000-01-01", "period_end": "2026-12-31"}


@pytest.fixture
def base(tmp_path: Path) -> HubSettings:
    """Settings shared by every region of a test (data in tmp/<region>)."""
    return HubSettings(
        data=tmp_path, reply_timeout_s=20, retry_backoff_s=0.05, max_deliver=3,
        link_timeout_s=2, log_format="json",
    )


async def _json(hub: Hub, service: str, client: str, correlation: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(
            f"{hub.http_url}/services/{service}",
            content=json.dumps(HISTORY).encode(),
            headers=auth_headers(hub, client, **{"X-Correlation-Id": correlation}),
        )


def _exchanges(linked: LinkedRegion, correlation: str) -> list:  # type: ignore[type-arg]
    ledger = linked.hub.ledger
    found = [ledger.get(i) for i in ledger.exchange_ids()]
    return [e for e in found if e.correlation_id == correlation]


async def _completed(linked: LinkedRegion, correlation: str) -> list:  # type: ignore[type-arg]
    """The exchanges of ``correlation`` once all are Completed (bounded wait): an ingress
    records completion after its reply is written, a moment after the client has it."""

    def all_completed() -> list:  # type: ignore[type-arg]
        found = _exchanges(linked, correlation)
        return found if found and all(e.status is Status.COMPLETED for e in found) else []

    return await wait_until_async(
               all_completed, timeout_s=5, interval_s=0.02, in_thread=True,
               message=f"{linked.name}'s exchanges of {correlation} completed")


async def test_json_client_in_north_queries_souths_soap_bureau(base: HubSettings) -> None:
    """north/tax gets south's contribution history as JSON; both ledgers record their side."""
    async with linked_regions(base, ["north", "south"]) as regions:
        north, south = regions["north"], regions["south"]
        response = await _json(
            north.hub, "south/social-security/contribution-history", "north/tax", "x-1"
        )
        assert response.status_code == 200, response.text
        assert response.json()["person"]["family_name"] == "Andersson"
        [asked] = await _completed(north, "x-1")
        [answered] = await _completed(south, "x-1")
        assert (asked.client, asked.provider, asked.ingress) == (
            "north/tax", "south/social-security", "json")
        assert asked.status is Status.COMPLETED
        assert (answered.client, answered.service, answered.ingress) == (
            "north/tax", "south/social-security/contribution-history", INGRESS)
        assert answered.status is Status.COMPLETED
        assert answered.response == asked.response


async def test_soap_client_in_south_queries_norths_json_bureau(base: HubSettings) -> None:
    """A zeep client of south calls north's tax service at /peers/north/soap and gets SOAP back."""
    async with linked_regions(base, ["north", "south"]) as regions:
        north, south = regions["north"], regions["south"]

        def call() -> object:
            session = requests.Session()
            session.headers.update(auth_headers(south.hub, "south/social-security",
                                                **{"X-Correlation-Id": "s-1"}))
            client = zeep.Client(
                f"{south.hub.http_url}/peers/north/soap?wsdl",
                settings=HARDENED_ZEEP,
                transport=Transport(session=session, timeout=30),
            )
            try:
                return client.service.TaxClearance(national_id="19800101-1234", tax_year=2025)
            finally:
                session.close()

        answer = await asyncio.to_thread(call)
        assert answer.status == "cleared"  # type: ignore[attr-defined]
        [asked] = await _completed(south, "s-1")
        [answered] = await _completed(north, "s-1")
        assert (asked.service, asked.ingress, asked.status) == (
            "north/tax/tax-clearance", "soap", Status.COMPLETED)
        assert (answered.client, answered.ingress, answered.status) == (
            "south/social-security", INGRESS, Status.COMPLETED)


async def test_a_cut_link_dead_letters_then_heals(base: HubSettings) -> None:
    """With south's server down north dead-letters naming south, serves its own; heal: works."""
    async with linked_regions(base, ["north", "south"]) as regions:
        north, south = regions["north"], regions["south"]
        await asyncio.to_thread(south.server.stop)
        cut = await _json(
            north.hub, "south/social-security/contribution-history", "north/tax", "cut-1"
        )
        assert cut.status_code == 502, cut.text
        assert "region south unreachable" in cut.json()["detail"]
        [exchange] = await asyncio.to_thread(_exchanges, north, "cut-1")
        assert exchange.status is Status.DEAD_LETTERED
        assert exchange.attempts == base.max_deliver
        history = await asyncio.to_thread(north.hub.ledger.history, exchange.id)
        [dead] = [e for e in history if type(e).__name__ == "DeadLettered"]
        assert "region south unreachable" in dead.reason
        local = await _json(
            north.hub, "north/social-security/contribution-history", "north/tax", "loc-1"
        )
        assert local.status_code == 200, local.text
        await asyncio.to_thread(south.server.start)

        async def healed() -> bool:
            again = await _json(north.hub, "south/social-security/contribution-history",
                                "north/tax", "heal")
            return again.status_code == 200

        await wait_until_async(healed, timeout_s=30, interval_s=0.5,
                               message="north reaching south again after its restart")


async def test_the_federation_ingress_refuses_and_records_what_a_peer_may_not_ask(
    base: HubSettings,
) -> None:
    """A peer cannot speak for south's own departments nor reach unknown services; both recorded."""
    async with linked_regions(base, ["north", "south"]) as regions:
        north, south = regions["north"], regions["south"]
        nc = await nats.connect(north.server.url)
        try:
            async def ask(subject: str, client: str, correlation: str) -> RemoteAnswer:
                msg = await nc.request(subject, json.dumps(HISTORY).encode(), timeout=10, headers={
                    subjects.CLIENT_HEADER: client, subjects.ORIGIN_HEADER: "north",
                    subjects.CORRELATION_HEADER: correlation})
                return RemoteAnswer.model_validate_json(msg.data)

            history = subjects.query("south", "social-security", "contribution-history")
            impostor = await ask(history, "south/tax", "imp-1")
            unknown = await ask(subjects.query("south", "vehicles", "registration"),
                                "north/tax", "unk-1")
        finally:
            await nc.close()
        assert (impostor.outcome, impostor.error.code) == ("rejected", "remote-client")  # type: ignore[union-attr]
        assert "may not speak for it" in impostor.error.message  # type: ignore[union-attr]
        assert (unknown.outcome, unknown.error.code) == ("rejected", "unknown-service")  # type: ignore[union-attr]
        [recorded] = await asyncio.to_thread(_exchanges, south, "imp-1")
        assert (recorded.status, recorded.ingress, recorded.client) == (
            Status.REJECTED, INGRESS, "south/tax")
