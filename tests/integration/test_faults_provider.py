"""A provider that times out, faults or answers garbage: retries, then the DLQ, reason recorded."""

from __future__ import annotations

from uuid import UUID

import httpx
import pytest
from typer.testing import CliRunner

from hub.adapters.nats.accounts import hub_connect_options
from hub.domain.exchange import Status
from hub.entrypoints.cli.main import app
from hub.service_layer.exchanges.dead_letters import dlq_stream
from hub.settings import HubSettings
from tests.integration.fault_helpers import (
    Counts,
    dlq_letters,
    event_names,
    post_query,
)
from tests.integration.hub_fixtures import department_token, running_region
from tests.waiting import wait_until_async

MAX_DELIVER = 3


@pytest.mark.parametrize(
    ("knob", "code"),
    [
        ("timeout", "provider-unavailable"),
        ("server_fault", "provider-fault"),
        ("garbage", "provider-response-invalid"),
    ],
)
async def test_failing_provider_is_retried_then_dead_lettered_and_requeued(
    hub_settings: HubSettings, knob: str, code: str
) -> None:
    """Every attempt fails the same way: max_deliver attempts, DeadLettered, a DLQ letter
    with the code; after the provider is fixed, a requeue delivers it exactly once."""
    settings = hub_settings.model_copy(update={
        "max_deliver": MAX_DELIVER, "retry_backoff_s": 0.05, "provider_timeout_s": 0.5,
        "reply_timeout_s": 15,
    })
    async with running_region(settings) as region:
        hub, bureau = region.hub, region.social_security
        token = department_token(hub, f"{settings.region}/tax")
        if knob == "timeout":
            bureau.delay_s = 1.0
        elif knob == "server_fault":
            bureau.server_faults_next = 100
        else:
            bureau.garbage_next = 100
        async with httpx.AsyncClient(timeout=30) as http:
            response = await post_query(http, hub.http_url, settings.region, token, f"fault-{knob}")
        exchange_id = UUID(response.headers["X-Exchange-Id"])
        assert response.status_code >= 500, response.text
        exchange = hub.ledger.get(exchange_id)
        assert exchange.status is Status.DEAD_LETTERED
        assert exchange.error is not None and exchange.error["code"] == code
        names = event_names(hub.ledger, exchange_id)
        assert names.count("DeliveryFailed") == MAX_DELIVER
        assert names[-1] == "DeadLettered"
        auth = hub_connect_options(hub.settings, hub.ledger.keyring)
        letters = await wait_letters(hub.nats_url, settings.region, 1, auth)
        assert letters[0]["exchange_id"] == str(exchange_id)
        assert letters[0]["code"] == code and letters[0]["attempts"] == MAX_DELIVER
        assert letters[0]["correlation_id"] == f"fault-{knob}"
        assert "19800101" not in str(letters[0])  # references only, never the personal payload
        calls_before = bureau.calls

        bureau.delay_s, bureau.server_faults_next, bureau.garbage_next = 0.0, 0, 0
        runner = CliRunner()
        listed = runner.invoke(app, ["dlq", "list", "--json", "--data", str(settings.data)])
        assert listed.exit_code == 0, listed.output
        assert str(exchange_id) in listed.output and code in listed.output
        requeued = runner.invoke(app, ["dlq", "requeue", str(exchange_id)[:8], "--data",
                                       str(settings.data), "--by", "test", "--reason", "fixed"])
        assert requeued.exit_code == 0, requeued.output
        hub.relay.wake()
        await wait_until_async(
            lambda: hub.ledger.get(exchange_id).status is Status.RESPONDED, timeout_s=15,
            message="the requeued exchange is answered", interval_s=0.1, in_thread=True)
        names = event_names(hub.ledger, exchange_id)
        assert names[-4:] == ["Requeued", "Delivered", "Responded", "Disclosed"]
        assert names.count("Responded") == 1
        assert bureau.calls == calls_before + 1
        shown = runner.invoke(app, ["dlq", "show", str(exchange_id), "--data",
                                    str(settings.data)])
        assert shown.exit_code == 0 and "status now: responded" in shown.output, shown.output
        again = runner.invoke(app, ["dlq", "requeue", str(exchange_id), "--data",
                                    str(settings.data)])
        assert again.exit_code == 1 and "cannot requeue" in again.output
        print(Counts(sent=1, acked=0, recorded=1, delivered=1, duplicates=0, lost=0)
              .line(f"provider-{knob}"), f"attempts={MAX_DELIVER} code={code}")


async def wait_letters(nats_url: str, region: str, count: int,
                       auth: dict[str, object]) -> list[dict[str, object]]:
    """The DLQ letters once there are ``count`` of them."""

    async def enough() -> list[dict[str, object]] | None:
        found = await dlq_letters(nats_url, dlq_stream(region).name, auth)
        return found if len(found) >= count else None

    return await wait_until_async(enough, timeout_s=5, interval_s=0.1,
                                  message=f"{count} dead letters in {region}'s DLQ")
