"""An operator retries a failed case step through the console, on a running region (real
NATS, the emulated bureaus, real HTTP with an operator session): one step failed because
the one-stop desk had no access right, another because its provider faulted until its
exchange was dead-lettered. Once the cause is fixed, the retry sends each step again as
a new exchange and the case runs on to completion; a step that is not failed is 409,
an unknown one 404, and every attempt is in the operators' action log."""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import UUID

import httpx

from hub.entrypoints.serve import Hub
from hub.settings import HubSettings
from tests.integration.console_fixtures import csrf_token, enrol, log_in
from tests.integration.hub_fixtures import auth_headers, grant, running_region
from tests.integration.test_case_engine import RELOCATION
from tests.integration.test_case_exchanges import CASE_TYPE, DESK

SERVICES = ("north/social-security/contribution-history", "north/tax/tax-clearance")


async def _file(client: httpx.AsyncClient, hub: Hub) -> str:
    filed = await client.post("/cases", headers=auth_headers(hub, "north/portal"),
                              json={"case_type": "benefit-check@1.0",
                                    "application": RELOCATION})
    assert filed.status_code == 201, filed.text
    assert filed.json()["steps"]["contributions"]["state"] == "failed", filed.json()
    return str(filed.json()["case_id"])


async def test_an_operator_retries_failed_steps_and_the_cases_complete(
        hub_settings: HubSettings, tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "benefit-check.toml").write_text(CASE_TYPE)
    settings = hub_settings.model_copy(update={
        "cases": folder, "max_deliver": 2, "retry_backoff_s": 0.05,
        "provider_timeout_s": 0.5, "reply_timeout_s": 15})
    async with running_region(settings) as region:
        hub, bureau = region.hub, region.social_security
        assert hub.cases is not None and hub.console is not None
        async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
            refused = await _file(client, hub)  # no right: the exchange is refused
            for service in SERVICES:
                await grant(hub, DESK, service, "benefit-eligibility")
            bureau.server_faults_next = 100
            faulted = await _file(client, hub)  # the provider faults: dead-lettered
            row = hub.cases.board.get(UUID(faulted))
            assert row is not None
            assert row.step("contributions").reason.startswith("provider-fault: ")
            bureau.server_faults_next = 0  # the provider is back

            await log_in(client, hub.http_url,
                         await asyncio.to_thread(enrol, hub, "ada", "operator"))
            token = await csrf_token(client, hub.http_url)
            csrf = {"X-CSRF-Token": token}
            waiting = await client.post(f"/api/cases/steps/{refused}.tax/retry", headers=csrf)
            assert waiting.status_code == 409, waiting.text
            assert "step tax" in waiting.json()["detail"]
            assert "it is waiting, not failed" in waiting.json()["detail"]
            for unknown in (f"{refused}.no-such-step", "not-a-case.tax"):
                missing = await client.post(f"/api/cases/steps/{unknown}/retry", headers=csrf)
                assert missing.status_code == 404, missing.text
            assert (await client.post(f"/api/cases/steps/{refused}.contributions/retry")
                    ).status_code == 403  # a cookie session's POST needs the CSRF header

            page = await client.get(f"/console/cases/{refused}")
            form = f'action="/console/cases/steps/{refused}.contributions/retry"'
            assert form in page.text and 'aria-label="Retry step contributions"' in page.text
            assert 'aria-label="Retry step tax"' not in page.text  # only a failed step

            # The cause is fixed for both: the API's retry sends the step as a new exchange.
            retried = await client.post(f"/api/cases/steps/{refused}.contributions/retry",
                                        headers=csrf)
            assert retried.status_code == 200, retried.text
            assert retried.json()["state"] == "approved"
            assert retried.json()["case_status"] == "completed"

            # ...and the case page's form retries the dead-lettered step.
            sent = await client.post(f"/console/cases/steps/{faulted}.contributions/retry",
                                     data={"csrf": token})
            assert sent.status_code == 303
            assert sent.headers["location"].startswith(f"/console/cases/{faulted}?message=")
            shown = await client.get(sent.headers["location"])
            assert "case.retry: retried. step contributions is approved" in shown.text
            assert "the case is completed" in shown.text
            assert 'aria-label="Retry step' not in shown.text  # nothing failed any more

        actions = [(a.operator, a.action, a.target, a.outcome)
                   for a in await asyncio.to_thread(hub.console.directory.actions)]
        for entry in [("ada", "case.retry", f"{refused}.tax", "failed"),
                      ("ada", "case.retry", f"{refused}.no-such-step", "failed"),
                      ("ada", "case.retry", f"{refused}.contributions", "retried"),
                      ("ada", "case.retry", f"{faulted}.contributions", "retried")]:
            assert entry in actions, actions


async def test_a_viewer_sees_no_retry_and_may_not_retry(
        hub_settings: HubSettings, tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "benefit-check.toml").write_text(CASE_TYPE)
    async with running_region(hub_settings.model_copy(update={"cases": folder})) as region:
        hub = region.hub
        async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
            case_id = await _file(client, hub)
            await log_in(client, hub.http_url,
                         await asyncio.to_thread(enrol, hub, "vic", "viewer"))
            page = await client.get(f"/console/cases/{case_id}")
            assert page.status_code == 200 and "failed" in page.text
            assert "Retry" not in page.text
            token = await csrf_token(client, hub.http_url)
            refused = await client.post(f"/api/cases/steps/{case_id}.contributions/retry",
                                        headers={"X-CSRF-Token": token})
            assert refused.status_code == 403
            form = await client.post(f"/console/cases/steps/{case_id}.contributions/retry",
                                     data={"csrf": token})
            assert form.status_code == 403


async def test_without_cases_the_retry_route_is_not_found(hub_settings: HubSettings) -> None:
    async with running_region(hub_settings) as region:
        hub = region.hub
        async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
            await log_in(client, hub.http_url,
                         await asyncio.to_thread(enrol, hub, "ada", "operator"))
            token = await csrf_token(client, hub.http_url)
            missing = await client.post("/api/cases/steps/x.y/retry",
                                        headers={"X-CSRF-Token": token})
            assert missing.status_code == 404
