"""The hub's background tasks: a dead one turns /health 503; a lost tracking race is survived.

Both faults are made through the production wiring of a running region (SQLite
store, real nats-server, emulated bureaus): the relay's tracking table is taken
away under it, or another relay is made to have tracked further ahead.
"""

from __future__ import annotations

import asyncio
import sqlite3

import httpx
from eventsourcing.persistence import Tracking

from hub.service_layer.exchanges.relay import RELAY_NAME
from hub.settings import HubSettings
from tests.integration.fault_helpers import post_query
from tests.integration.hub_fixtures import department_token, running_region
from tests.waiting import wait_until_async


async def _health(base: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=15) as http:
        return await http.get(f"{base}/health")


async def test_health_turns_503_naming_the_relay_when_it_dies(hub_settings: HubSettings) -> None:
    """A relay that dies on a store fault it cannot handle (its tracking table dropped by
    a mistaken migration) is named by /health's tasks check, which turns the answer 503,
    while the store itself still answers."""
    async with running_region(hub_settings) as region:
        hub = region.hub
        healthy = await _health(hub.http_url)
        assert healthy.status_code == 200, healthy.text
        assert healthy.json()["checks"]["tasks"]["ok"] is True
        ledger_file = hub_settings.data / "ledger.sqlite3"
        with sqlite3.connect(ledger_file) as conn:
            conn.execute("DROP TABLE tracking")
        token = department_token(hub, "north/tax")
        async with httpx.AsyncClient(timeout=20) as http:
            answer = await post_query(http, hub.http_url, "north", token, "dead-relay-1")
        assert answer.status_code == 200  # published before the relay failed to track it
        assert hub.supervisor is not None
        await wait_until_async(
            lambda: bool(hub.supervisor and hub.supervisor.dead), timeout_s=10,
            message="the relay's death recorded", interval_s=0.1, in_thread=True)
        response = await _health(hub.http_url)
    body = response.json()
    assert response.status_code == 503, body
    assert body["checks"]["store"]["ok"] is True
    assert body["checks"]["tasks"]["ok"] is False
    assert "outbox-relay" in body["checks"]["tasks"]["detail"]
    assert "tracking" in body["checks"]["tasks"]["detail"]


async def test_relay_that_loses_a_tracking_race_carries_on(hub_settings: HubSettings) -> None:
    """Another relay of the region tracked further ahead (as a new lease holder does): this
    relay's next tracking insert conflicts, and it re-reads the position and carries on
    instead of dying; queries are still answered and /health stays green."""
    async with running_region(hub_settings) as region:
        hub = region.hub
        token = department_token(hub, "north/tax")
        async with httpx.AsyncClient(timeout=20) as http:
            first = await post_query(http, hub.http_url, "north", token, "race-1")
            assert first.status_code == 200
            ahead = hub.relay.position + 1000
            tracking = hub.ledger.factory.tracking_recorder()
            await asyncio.to_thread(tracking.insert_tracking, Tracking(RELAY_NAME, ahead))
            second = await post_query(http, hub.http_url, "north", token, "race-2")
            assert second.status_code == 200
            await asyncio.sleep(0.5)  # the relay tracks right after publishing
        assert hub.supervisor is not None
        assert hub.supervisor.dead == [], hub.supervisor.dead
        assert hub.relay.position == ahead
        response = await _health(hub.http_url)
        assert response.json()["checks"]["tasks"]["ok"] is True, response.text
