"""Rights, purposes and minimisation apply to peers' queries exactly as to local ones.

Two regions joined by NATS leaf nodes: south's tax office asks north's
social-security service through south's hub; north's hub decides on the
right of ``south/tax`` and the forwarded purpose (``Hub-Purpose``).
"""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from hub.entrypoints.nats.peer_ingress import INGRESS
from hub.settings import HubSettings
from tests.integration.hub_fixtures import auth_headers, revoke
from tests.integration.links_fixtures import LinkedRegion, linked_regions

SERVICE = "north/social-security/contribution-history"
HISTORY = {"national_id": "19800101-1234", "period_start": "2000-01-01", "period_end": "2026-12-31"}


@pytest.fixture
def base(tmp_path: Path) -> HubSettings:
    return HubSettings(data=tmp_path, reply_timeout_s=20, retry_backoff_s=0.05, max_deliver=3,
                       link_timeout_s=2, log_format="json")


async def _ask_from_south(south: LinkedRegion, purpose: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(
            f"{south.hub.http_url}/services/{SERVICE}", content=json.dumps(HISTORY).encode(),
            headers=auth_headers(south.hub, "south/tax", **{
                "X-Hub-Purpose": purpose, "Content-Type": "application/json"}))


def _north_exchange(north: LinkedRegion):  # type: ignore[no-untyped-def]
    ledger = north.hub.ledger
    [exchange] = [ledger.get(i) for i in ledger.exchange_ids() if ledger.get(i).ingress == INGRESS]
    return exchange


async def test_a_peer_gets_only_its_purposes_fields(base: HubSettings) -> None:
    """tax-assessment travels as Hub-Purpose; north discloses, and records, only its fields."""
    async with linked_regions(base, ["north", "south"]) as regions:
        north, south = regions["north"], regions["south"]
        response = await _ask_from_south(south, "tax-assessment")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["person"] == {"national_id": "19800101-1234"}
        assert "Andersson" not in response.text
        exchange = _north_exchange(north)
        assert exchange.client == "south/tax"
        assert exchange.authorisation["purpose"] == "tax-assessment"
        history = [type(e).__name__ for e in north.hub.ledger.history(exchange.id)]
        assert "Authorised" in history and "Disclosed" in history
        asked = south.hub.ledger.get(UUID(response.headers["X-Exchange-Id"]))
        assert asked.authorisation["basis"] == "remote"  # north decided, south forwarded
        assert asked.response is not None and "family_name" not in asked.response["person"]


async def test_a_peer_without_a_right_is_refused_and_recorded_by_the_provider_region(
    base: HubSettings,
) -> None:
    """north revokes south/tax: south's client gets 403 access-denied; north recorded it."""
    async with linked_regions(base, ["north", "south"]) as regions:
        north, south = regions["north"], regions["south"]
        await revoke(north.hub, "south/tax", SERVICE)
        response = await _ask_from_south(south, "tax-assessment")
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "access-denied"
        assert "south/tax holds no right" in response.json()["detail"]
        exchange = _north_exchange(north)
        history = [type(e).__name__ for e in north.hub.ledger.history(exchange.id)]
        assert history == ["Received", "Rejected"]
        assert north.region.social_security.calls == 0
