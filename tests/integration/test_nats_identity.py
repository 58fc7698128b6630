"""Departments on NATS: each its own nkey user, allowed only its own subjects (real nats-server).

The hub's embedded server renders one user per active department credential;
a department cannot subscribe to deliveries or to another department's
subjects, cannot publish as another department, cannot reach the JetStream API,
while its own NATS query is answered and recorded.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from uuid import UUID

import nats
import nats.errors
import pytest

from hub.adapters.nats.accounts import inbox_prefix, ingress_subject
from hub.domain.credential import CredentialKind
from hub.settings import HubSettings
from tests.integration.hub_fixtures import PURPOSE, Region, completed, running_region
from tests.waiting import wait_until_async

SS = "north/social-security/contribution-history"
QUERY = {"national_id": "19800101-1234", "period_start": "2000-01-01", "period_end": "2026-12-31"}


class Department:
    """A department's NATS client, collecting the errors the server sends it."""

    def __init__(self, name: str, seed: bytes) -> None:
        self.name = name
        self.seed = seed.decode()
        self.errors: list[str] = []
        self.nc: nats.NATS | None = None

    async def connect(self, url: str) -> nats.NATS:
        async def on_error(exc: Exception) -> None:
            self.errors.append(str(exc).lower())

        self.nc = await nats.connect(
            url, nkeys_seed_str=self.seed, inbox_prefix=inbox_prefix(self.name),
            error_cb=on_error, allow_reconnect=False, connect_timeout=5,
        )
        return self.nc

    async def violation(self, words: str, within_s: float = 5.0) -> str:
        """The first permissions violation naming ``words`` (waits, bounded)."""
        nc = self.nc
        assert nc is not None

        async def found() -> list[str]:
            await nc.flush(timeout=2)
            return [e for e in self.errors if "permissions violation" in e and words in e]

        violations = await wait_until_async(
            found, timeout_s=within_s, message=f"a permissions violation naming {words!r}")
        return violations[0]


@pytest.fixture
async def region(hub_settings: HubSettings) -> AsyncIterator[Region]:
    settings = hub_settings.model_copy(update={"nats_users_refresh_s": 0.1})
    async with running_region(settings) as running:
        yield running


async def _department(region: Region, name: str) -> Department:
    """Issue ``north/<name>``'s credential and connect as its NATS user once the server has it."""
    credentials = region.hub.credentials
    assert credentials is not None
    issued = credentials.issue(f"north/{name}", CredentialKind.DEPARTMENT, dt.timedelta(hours=1))
    assert issued.nats_seed is not None
    department = Department(name, issued.nats_seed)
    await wait_until_async(  # errors: the reload has not happened yet
        lambda: department.connect(region.hub.nats_url), timeout_s=15, interval_s=0.1,
        ignoring=(nats.errors.Error, OSError), message=f"north/{name}'s NATS connection")
    return department


async def test_no_credentials_no_connection(region: Region) -> None:
    """The embedded server refuses a client without credentials."""
    with pytest.raises((nats.errors.Error, OSError)):
        await nats.connect(region.hub.nats_url, allow_reconnect=False, connect_timeout=2,
                           max_reconnect_attempts=0)


async def test_a_department_cannot_read_deliveries_or_speak_for_another(region: Region) -> None:
    """tax may not subscribe to deliveries or social-security's subjects, nor publish as it."""
    tax = await _department(region, "tax")
    assert tax.nc is not None
    delivered: list[bytes] = []

    async def keep(msg) -> None:  # type: ignore[no-untyped-def]
        delivered.append(msg.data)

    await tax.nc.subscribe("hub.north.deliver.>", cb=keep)
    assert "hub.north.deliver.>" in await tax.violation("subscription")
    await tax.nc.subscribe(f"{inbox_prefix('social-security')}.>")
    assert inbox_prefix("social-security").lower() in await tax.violation("_inbox_social")
    await tax.nc.subscribe("hub.north.ingress.social-security.>")
    await tax.violation("hub.north.ingress.social-security")
    await tax.nc.publish(ingress_subject("north", "social-security"), json.dumps(QUERY).encode(),
                         headers={"Hub-Service": SS, "Hub-Purpose": PURPOSE})
    assert "publish" in await tax.violation("publish to \"hub.north.ingress.social-security")
    # A query of another department runs while tax listens: tax sees none of its delivery.
    ss = await _department(region, "social-security")
    assert ss.nc is not None
    reply = await ss.nc.request(ingress_subject("north", "social-security"),
                                json.dumps({"national_id": "19800101-1234", "tax_year": 2025})
                                .encode(), headers={"Hub-Service": "north/tax/tax-clearance",
                                                    "Hub-Purpose": PURPOSE},
                                timeout=20)
    assert json.loads(reply.data)["outcome"] == "responded"
    assert delivered == []
    await tax.nc.close()
    await ss.nc.close()


async def test_a_department_cannot_use_the_jetstream_api(region: Region) -> None:
    """Creating a consumer on the delivery stream is a permissions violation."""
    tax = await _department(region, "tax")
    assert tax.nc is not None
    stream = region.hub.bus.stream.name
    js = tax.nc.jetstream(timeout=1)
    with pytest.raises((nats.errors.Error, TimeoutError)):
        await js.add_consumer(stream, durable_name="spy", filter_subject="hub.north.deliver.>")
    violation = await tax.violation("$js.api.consumer.")
    assert "publish" in violation and stream.lower() in violation
    await tax.nc.close()


async def test_a_departments_own_nats_query_is_answered_and_recorded(region: Region) -> None:
    """tax asks social-security's service over NATS: answered, recorded with client north/tax."""
    tax = await _department(region, "tax")
    assert tax.nc is not None
    reply = await tax.nc.request(ingress_subject("north", "tax"), json.dumps(QUERY).encode(),
                                 headers={"Hub-Service": SS, "Hub-Correlation-Id": "nats-1",
                                          "Hub-Purpose": PURPOSE},
                                 timeout=20)
    body = json.loads(reply.data)
    assert body["outcome"] == "responded", body
    assert body["response"]["person"]["family_name"] == "Andersson"
    assert body["correlation_id"] == "nats-1"
    exchange = region.hub.ledger.get(UUID(body["exchange_id"]))
    assert (exchange.client, exchange.ingress, exchange.correlation_id) == (
        "north/tax", "nats", "nats-1")
    await completed(region.hub, exchange.id, timeout_s=10)  # recorded right after the reply
    missing = json.loads((await tax.nc.request(ingress_subject("north", "tax"), b"{}",
                                               timeout=20)).data)
    assert missing["outcome"] == "rejected" and missing["error"]["code"] == "missing-service"
    assert missing["error"]["issues"][0]["path"] == "header:Hub-Service"
    history = region.hub.ledger.history(UUID(missing["exchange_id"]))
    assert [type(e).__name__ for e in history] == ["Received", "Rejected"]
    await tax.nc.close()


async def test_a_revoked_credential_loses_its_nats_user(region: Region) -> None:
    """After revocation the server reloads without the user: a new connection is refused."""
    tax = await _department(region, "tax")
    assert tax.nc is not None
    await tax.nc.close()
    credentials = region.hub.credentials
    assert credentials is not None
    [info] = [i for i in credentials.list() if i.principal == "north/tax"]
    credentials.revoke(info.credential_id, "test")

    async def refused() -> bool:
        try:
            nc = await tax.connect(region.hub.nats_url)
        except (nats.errors.Error, OSError):
            return True
        await nc.close()
        return False

    await wait_until_async(refused, timeout_s=15, interval_s=0.1,
                           message="a new connection as the revoked north/tax refused")
