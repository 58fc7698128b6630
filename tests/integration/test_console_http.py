"""The console and operator API over real HTTP: login with TOTP, roles, CSRF, recorded actions."""

from __future__ import annotations

import asyncio
import json

import httpx

from hub.adapters.nats.server import NatsServerProcess
from hub.domain.operator import LoginRefusal, OperatorAction
from hub.settings import HubSettings
from tests.integration.console_fixtures import csrf_token, enrol, log_in
from tests.integration.hub_fixtures import auth_headers, running_region
from tests.waiting import wait_until_async

SS = "north/social-security/contribution-history"
QUERY = {"national_id": "19800101-1234", "period_start": "2000-01-01", "period_end": "2026-12-31"}


def _topics(hub, topic: str) -> list:  # type: ignore[no-untyped-def]
    notes = hub.ledger.recorder.select_notifications(1, 1000, topics=(topic,))
    return [hub.ledger.repository.get(n.originator_id) for n in notes]


async def test_without_a_session_pages_redirect_and_the_api_refuses(
    hub_settings: HubSettings,
) -> None:
    """No cookie: pages send the browser to the login form, the API answers 401."""
    async with running_region(hub_settings) as region, httpx.AsyncClient(timeout=30) as http:
        url = region.hub.http_url
        page = await http.get(f"{url}/console/exchanges?outcome=failed")
        assert page.status_code == 303
        expected = "/console/login?next=/console/exchanges%3Foutcome%3Dfailed"
        assert page.headers["location"] == expected
        api = await http.get(f"{url}/api/exchanges")
        assert api.status_code == 401
        async with httpx.AsyncClient(timeout=30, cookies={
                "hub_session": "00" * 16 + ".forged"}) as forger:
            assert (await forger.get(f"{url}/api/exchanges")).status_code == 401
        assert (await http.get(f"{url}/health")).status_code == 200


async def test_login_needs_password_and_current_code_and_refusals_are_recorded(
    hub_settings: HubSettings,
) -> None:
    """A wrong code is refused (401) and recorded; the right one opens a session cookie."""
    async with running_region(hub_settings) as region, httpx.AsyncClient(timeout=30) as http:
        url, hub = region.hub.http_url, region.hub
        ada = await asyncio.to_thread(enrol, hub, "ada", "operator")
        refused = await http.post(f"{url}/console/login", data={
            "name": "ada", "password": "a long enough passphrase", "code": "000000"})
        assert refused.status_code == 401
        assert "name, password or code not accepted" in refused.text
        reasons = [r.reason for r in await asyncio.to_thread(
            _topics, hub, LoginRefusal.Refused.TOPIC)]
        assert reasons == ["wrong-code"]
        opened = await log_in(http, url, ada)
        assert opened.status_code == 303
        cookie = opened.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert (await http.get(f"{url}/console/")).status_code == 200


async def test_operator_finds_exchanges_and_verifies_with_csrf(hub_settings: HubSettings) -> None:
    """An operator searches, reads a timeline and runs a verify; the verify is recorded."""
    async with running_region(hub_settings) as region, httpx.AsyncClient(timeout=30) as http:
        url, hub = region.hub.http_url, region.hub
        answered = await http.post(f"{url}/services/{SS}", content=json.dumps(QUERY),
                                   headers=auth_headers(hub, "north/tax", **{
                                       "X-Correlation-Id": "console-1",
                                       "Content-Type": "application/json"}))
        assert answered.status_code == 200
        await log_in(http, url, await asyncio.to_thread(enrol, hub, "ada", "operator"))

        async def indexed_completed() -> list:  # type: ignore[type-arg]
            found = (await http.get(f"{url}/api/exchanges",
                                    params={"correlation_id": "console-1"})).json()
            return found if found and found[0]["status"] == "completed" else []

        found = await wait_until_async(  # the exchange index follows the ledger (0.25 s polls)
            indexed_completed, timeout_s=5, message="console-1 completed in the exchange index")
        assert [row["service"] for row in found] == [SS]
        timeline = (await http.get(f"{url}/api/exchanges/{found[0]['id'][:8]}")).json()
        events = [e["event"] for e in timeline["events"]]
        assert events[:2] == ["Received", "Translated"] and "Completed" in events
        assert (await http.post(f"{url}/api/audit/verify")).status_code == 403
        token = await csrf_token(http, url)
        verified = await http.post(f"{url}/api/audit/verify", headers={"X-CSRF-Token": token})
        assert verified.status_code == 200 and verified.json()["ok"] is True
        page = await http.post(f"{url}/console/audit/verify", data={"csrf": token})
        assert page.status_code == 303
        actions = await asyncio.to_thread(_topics, hub, OperatorAction.Performed.TOPIC)
        assert [(a.operator, a.action, a.outcome) for a in actions] == [
            ("ada", "audit.verify", "passed"), ("ada", "audit.verify", "passed")]


async def test_roles_decide_what_each_operator_may_do(hub_settings: HubSettings) -> None:
    """A viewer may look but not act; only an auditor reads the operators' action log."""
    async with running_region(hub_settings) as region:
        url, hub = region.hub.http_url, region.hub
        viewer = await asyncio.to_thread(enrol, hub, "vic", "viewer")
        auditor = await asyncio.to_thread(enrol, hub, "aud", "auditor")
        async with httpx.AsyncClient(timeout=30) as http:
            await log_in(http, url, viewer)
            token = await csrf_token(http, url)
            assert (await http.get(f"{url}/api/audit")).status_code == 200
            refused = await http.post(f"{url}/api/audit/checkpoint",
                                      headers={"X-CSRF-Token": token})
            assert refused.status_code == 403 and "may not sign a checkpoint" in refused.text
            assert (await http.get(f"{url}/api/operators/actions")).status_code == 403
            assert (await http.get(f"{url}/console/actions")).status_code == 403
        async with httpx.AsyncClient(timeout=30) as http:
            await log_in(http, url, auditor)
            assert (await http.get(f"{url}/api/operators/actions")).status_code == 200
            assert (await http.post(f"{url}/api/audit/checkpoint", headers={
                "X-CSRF-Token": await csrf_token(http, url)})).status_code == 403


async def test_login_never_redirects_off_the_console(hub_settings: HubSettings) -> None:
    """``next`` pointing elsewhere is replaced by the console's overview (no open redirect)."""
    async with running_region(hub_settings) as region, httpx.AsyncClient(timeout=30) as http:
        url, hub = region.hub.http_url, region.hub
        ada = await asyncio.to_thread(enrol, hub, "ada", "viewer")
        response = await http.post(f"{url}/console/login", data={
            "name": "ada", "password": "a long enough passphrase", "code": ada.code(),
            "next": "https://elsewhere.example/"})
        assert response.status_code == 303 and response.headers["location"] == "/console/"


async def test_health_names_the_failing_part(
    hub_settings: HubSettings, nats_server: NatsServerProcess
) -> None:
    """/health is 200 with every check, and 503 naming NATS once the server is gone."""
    settings = hub_settings.model_copy(update={"nats_url": nats_server.url})
    async with running_region(settings) as region, httpx.AsyncClient(timeout=30) as http:
        url = region.hub.http_url
        healthy = await http.get(f"{url}/health")
        assert healthy.status_code == 200
        assert set(healthy.json()["checks"]) == {"store", "nats", "keys", "checkpoint", "tasks"}
        await asyncio.to_thread(nats_server.kill)
        sick = await http.get(f"{url}/health")
        assert sick.status_code == 503
        checks = sick.json()["checks"]
        assert checks["nats"]["ok"] is False and checks["store"]["ok"] is True


async def test_an_auditor_reads_a_subjects_report_and_the_reading_is_recorded(
    hub_settings: HubSettings,
) -> None:
    """/console/subjects: the auditor types a national id (in a POST body, never a URL) and
    sees each use; the reading is an operator action naming only the pseudonymous reference.
    A viewer may not open the page, and a POST without the CSRF token is refused."""
    async with running_region(hub_settings) as region, httpx.AsyncClient(timeout=30) as http:
        url, hub = region.hub.http_url, region.hub
        answered = await http.post(f"{url}/services/{SS}", content=json.dumps(QUERY),
                                   headers=auth_headers(hub, "north/tax", **{
                                       "Content-Type": "application/json"}))
        assert answered.status_code == 200, answered.text
        exchange = answered.headers["X-Exchange-Id"]
        assert hub.console is not None
        ref = hub.ledger.keyring.ref_for(QUERY["national_id"])

        await log_in(http, url, await asyncio.to_thread(enrol, hub, "vic", "viewer"))
        assert (await http.get(f"{url}/console/subjects")).status_code == 403
        assert "Data-use reports" not in (await http.get(f"{url}/console/")).text
        http.cookies.clear()

        await log_in(http, url, await asyncio.to_thread(enrol, hub, "aud", "auditor"))
        form = await http.get(f"{url}/console/subjects")
        assert form.status_code == 200 and 'for="subject"' in form.text
        forged = await http.post(f"{url}/console/subjects",
                                 data={"subject": QUERY["national_id"], "csrf": "wrong"})
        assert forged.status_code == 403
        token = await csrf_token(http, url)
        page = await http.post(f"{url}/console/subjects",
                               data={"subject": QUERY["national_id"], "csrf": token})
        assert page.status_code == 200, page.text
        assert ref in page.text and f"/console/exchanges/{exchange}" in page.text
        assert "north/tax" in page.text and QUERY["national_id"] not in page.text
        blank = await http.post(f"{url}/console/subjects", data={"subject": " ", "csrf": token})
        assert blank.status_code == 400 and "name a subject" in blank.text

        reads = [(a.operator, a.target, a.outcome)
                 for a in await asyncio.to_thread(hub.console.directory.actions)
                 if a.action == "subject.report"]
        assert reads == [("aud", "", "failed"), ("aud", ref, "read"), ("aud", "", "refused")]
        stored = await asyncio.to_thread(_topics, hub, OperatorAction.Performed.TOPIC)
        assert all(QUERY["national_id"] not in f"{a.target} {a.detail}" for a in stored)
