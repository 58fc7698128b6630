"""``/health`` on a running hub: 200 when every part works, 503 naming the part that failed.

Never a 500: monitoring reads a 500 as "restart the hub", so a failing dependency (or a
check that itself breaks) must come back as a failed check. NATS going away is covered
by the console tests (``test_health_names_the_failing_part``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
import psycopg

from hub.service_layer.audit import Auditor
from hub.settings import HubSettings
from tests.integration.hub_fixtures import grant, running_region

SS = "north/social-security/contribution-history"


async def _health(url: str) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.get(f"{url}/health")
    return response.status_code, response.json()


def _failed(body: dict[str, Any]) -> set[str]:
    return {name for name, check in body["checks"].items() if not check["ok"]}


async def test_health_stays_200_once_checkpoints_exist(hub_settings: HubSettings) -> None:
    """After the first signed checkpoint /health still answers 200, and says how old it is."""
    async with running_region(hub_settings) as region:
        auditor = Auditor.from_settings(region.hub.settings)
        signed = await asyncio.to_thread(auditor.checkpoint)
        for _ in range(3):  # the old code failed every time after the first checkpoint
            status, body = await _health(region.hub.http_url)
            assert status == 200, body
        detail = body["checks"]["checkpoint"]["detail"]
        assert f"size {signed.size}" in detail


async def test_a_stale_checkpoint_with_newer_events_is_503(hub_settings: HubSettings) -> None:
    """A checkpoint signed long ago, with events recorded after it: 503 naming the checkpoint."""
    async with running_region(hub_settings) as region:
        hub = region.hub
        an_hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        old = Auditor(hub.settings.data, hub.settings.store, hub.settings.region,
                      clock=lambda: an_hour_ago)
        await asyncio.to_thread(old.checkpoint)
        await grant(hub, "north/health", SS, "case-handling")  # an event after it
        status, body = await _health(hub.http_url)
        assert status == 503, body
        assert _failed(body) == {"checkpoint"}
        assert "old with newer events" in body["checks"]["checkpoint"]["detail"]


async def test_an_unreadable_key_encryption_key_is_503(hub_settings: HubSettings) -> None:
    """The KEK file damaged under a running hub: 503 naming the keys, never a 500."""
    async with running_region(hub_settings) as region:
        kek = region.hub.settings.data / "keys" / "kek"
        good = kek.read_bytes()
        kek.write_text("not a key\n", encoding="ascii")
        try:
            status, body = await _health(region.hub.http_url)
        finally:
            kek.write_bytes(good)
        assert status == 503, body
        assert _failed(body) == {"keys"}
        assert "keys/kek" in body["checks"]["keys"]["detail"]
        assert (await _health(region.hub.http_url))[0] == 200


def _refuse_connections(url: str, allow: bool) -> None:
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {str(allow).lower()}')
        if not allow:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))


async def test_an_unreachable_store_is_503_naming_the_store(
    hub_settings: HubSettings, postgres_url: str,
) -> None:
    """PostgreSQL refusing the hub's connections: 503 naming the store, never a 500."""
    settings = hub_settings.model_copy(update={"store": postgres_url})
    async with running_region(settings) as region:
        await asyncio.to_thread(_refuse_connections, postgres_url, False)
        try:
            status, body = await _health(region.hub.http_url)
        finally:
            await asyncio.to_thread(_refuse_connections, postgres_url, True)
        assert status == 503, body
        assert "store" in _failed(body), body
        assert body["checks"]["store"]["detail"]



async def test_an_untranslated_error_in_a_check_is_a_failed_check(
    hub_settings: HubSettings,
) -> None:
    """A check raising a library's own error (here nats-py's, which the bus did not
    translate) fails that check only; /health never turns it into a 500."""
    import nats.errors

    from hub.bootstrap.privacy import build_ledger
    from hub.bootstrap.supervisor import TaskSupervisor
    from hub.entrypoints.http.health import HealthChecks

    async def bus_check() -> str | None:
        raise nats.errors.ConnectionClosedError

    ledger = build_ledger(hub_settings)
    try:
        checks = HealthChecks(hub_settings, ledger, Auditor.from_settings(hub_settings),
                              bus_check, supervisor=TaskSupervisor(asyncio.Event()))
        results = {c.name: c for c in await checks.run()}
    finally:
        ledger.close()
    assert not results["nats"].ok and "ConnectionClosedError" in results["nats"].detail
    assert results["store"].ok and results["checkpoint"].ok
