"""The access watch in a real hub (HTTP ingress, real NATS, SQLite): it catches the two
simulated offenders of :mod:`simulations.offenders`, acts as each service says, and
raises nothing on the demo's traffic or the load generator's normal traffic."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import io
import json
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from rich.console import Console

from hub.adapters.projections import ReadView, open_read_store
from hub.adapters.projections.access_watch import AccessWatch
from hub.bootstrap.privacy import build_ledger
from hub.domain.access_anomaly import REFUSAL_BURST, SUBJECTS_ABOVE_BASELINE, AccessAnomaly
from hub.domain.credential import Credential, CredentialKind
from hub.domain.exchange import Exchange
from hub.domain.watch_policy import WatchPolicy
from hub.entrypoints.http.asgi_server import serve_asgi
from hub.entrypoints.serve import Hub, run_hub
from hub.service_layer.security.anomalies import AccessAnomalies
from hub.service_layer.security.credentials import CredentialService
from hub.settings import HubSettings
from simulations.departments import DepartmentEndpoints, grant_demo_rights, region_services
from simulations.offenders import curious_employee, scraper
from simulations.social_security_bureau import BureauBehaviour
from simulations.social_security_bureau import create_app as social_security_app
from simulations.tax_bureau import TaxBehaviour
from simulations.tax_bureau import create_app as tax_app
from tests.integration.console_fixtures import enrol, log_in
from tests.waiting import wait_until_async

HISTORY = "north/social-security/contribution-history"
CLEARANCE = "north/tax/tax-clearance"
USUAL = ("19800101-1234", "19751224-5678", "19920315-2468")


@contextlib.asynccontextmanager
async def watched_region(settings: HubSettings, **policies: WatchPolicy
                         ) -> AsyncIterator[Hub]:
    """The demo region's hub, its services watched with ``policies`` (by service name)."""
    async with contextlib.AsyncExitStack() as stack:
        ss = await stack.enter_async_context(serve_asgi(social_security_app(BureauBehaviour())))
        tax = await stack.enter_async_context(serve_asgi(tax_app(TaxBehaviour())))
        services = [dataclasses.replace(s, watch=policies.get(s.id.service, s.watch))
                    for s in region_services("north", DepartmentEndpoints(
                        f"{ss}/ws/insurance?wsdl", tax))]
        hub = await stack.enter_async_context(run_hub(settings, services))
        assert hub.access is not None
        await asyncio.to_thread(grant_demo_rights, hub.access, "north")
        yield hub


def _issue(hub: Hub, department: str) -> tuple[str, str]:
    issued = hub.credentials.issue(department, CredentialKind.DEPARTMENT, dt.timedelta(days=1))
    return issued.token, issued.credential_id.hex


async def _anomalies(hub: Hub, kind: str) -> list[AccessAnomaly]:
    found = await asyncio.to_thread(hub.anomalies.list, kind=kind)
    return found


async def test_the_curious_employee_is_caught(hub_settings: HubSettings) -> None:
    """A tax clerk's credential looks up three people, then 55 neighbours in a row: one
    anomaly names that credential, counts 51 against the floor of 50, samples subject
    references (never a national id); /metrics counts it; the console lists it."""
    async with watched_region(hub_settings) as hub, httpx.AsyncClient(timeout=30) as http:
        token, credential = await asyncio.to_thread(_issue, hub, "north/tax")
        offence = await curious_employee(
            http, hub.http_url, token=token, department="north/tax", service=HISTORY,
            purpose="tax-assessment", usual=USUAL, neighbours_from="19850412-0100",
            neighbours=55)
        # every lookup is allowed (the bureau knows few of the neighbours: it answers a fault)
        assert offence.sent == 58 and offence.answered >= 3
        assert set(offence.refused) <= {"provider-fault"}, offence.refused
        [anomaly] = await wait_until_async(
            lambda: _anomalies(hub, SUBJECTS_ABOVE_BASELINE), timeout_s=10,
            message="the curious employee's anomaly")
        assert (anomaly.credential, anomaly.department, anomaly.service) == (
            credential, "north/tax", HISTORY)
        assert (anomaly.count, anomaly.threshold, anomaly.action) == (51, 50, "alarm")
        assert len(anomaly.sample) == 10
        evidence = json.dumps([anomaly.sample, anomaly.detail])
        assert "1985" not in evidence and "19800101" not in evidence
        metrics = (await http.get(f"{hub.http_url}/metrics")).text
        assert 'interop_hub_access_anomalies_total{kind="subjects-above-baseline"} 1' in metrics
        assert 'interop_hub_access_anomalies_total{kind="refusal-burst"} 0' in metrics
        operator = await asyncio.to_thread(enrol, hub, "ada", "viewer")
        assert (await log_in(http, hub.http_url, operator)).status_code in (200, 303)
        page = await http.get(f"{hub.http_url}/console/alarms")
        assert page.status_code == 200 and anomaly.id.hex[:8] in page.text
        assert "subjects-above-baseline" in page.text and "north/tax" in page.text
        # the credential still works: this service only raises the alarm
        assert hub.credentials.authenticate(f"Bearer {token}").credential_id.hex == credential


async def test_the_scraper_is_caught_and_suspended_then_resumed(
    hub_settings: HubSettings,
) -> None:
    """A social-security system walks sequential ids asking tax clearance for a purpose it
    was not granted. The service says ``suspend``: after the burst the credential is
    refused as suspended (another credential of the department is not); an operator
    resumes it with the CLI, which is recorded, and the token authenticates again."""
    policy = WatchPolicy(suspend=True)
    async with watched_region(hub_settings, **{"tax-clearance": policy}) as hub, \
            httpx.AsyncClient(timeout=30) as http:
        token, credential = await asyncio.to_thread(_issue, hub, "north/social-security")
        other, _ = await asyncio.to_thread(_issue, hub, "north/social-security")
        offence = await scraper(
            http, hub.http_url, token=token, department="north/social-security",
            service=CLEARANCE, purpose="licence-renewal", first="19700101-0001", count=200,
            stop_when_refused="suspended-credential")
        assert offence.answered == 0
        assert offence.refused["purpose-not-granted"] >= 21
        assert offence.refused.get("suspended-credential") == 1, offence.refused
        [anomaly] = await _anomalies(hub, REFUSAL_BURST)
        assert (anomaly.credential, anomaly.count, anomaly.threshold, anomaly.action) == (
            credential, 21, 20, "suspend")
        assert set(anomaly.sample) <= set(offence.exchanges)
        refused = await http.post(f"{hub.http_url}/services/{CLEARANCE}", content=b"{}",
                                  headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401 and refused.json()["code"] == "suspended-credential"
        assert hub.credentials.authenticate(f"Bearer {other}").name == "north/social-security"

        result = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "hub.entrypoints.cli.main", "credentials", "resume",
             credential, "--reason", "false alarm: a batch job misconfigured", "--by", "ada",
             "--data", str(hub_settings.data)],
            capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
        started = time.monotonic()

        async def works_again() -> bool:
            answer = await http.post(
                f"{hub.http_url}/services/{CLEARANCE}", content=b"{}",
                headers={"Authorization": f"Bearer {token}",
                         "X-Hub-Client": "north/social-security",
                         "X-Hub-Purpose": "benefit-eligibility",
                         "Content-Type": "application/json"})
            return answer.json().get("code") != "suspended-credential"

        await wait_until_async(works_again, timeout_s=5, message="the resumed token works")
        assert time.monotonic() - started < 1.5  # another process's change, within the bound
        history = await asyncio.to_thread(
            lambda: list(hub.ledger.events.get(uuid.UUID(credential))))
        suspended, resumed = history[-2:]
        assert isinstance(suspended, Credential.Suspended)
        assert suspended.anomaly == anomaly.id.hex
        assert isinstance(resumed, Credential.Resumed)
        assert (resumed.by, resumed.reason) == ("ada", "false alarm: a batch job misconfigured")


async def test_the_demo_raises_nothing(tmp_path: Path) -> None:
    """``interop-hub demo``'s scenario, refusals and all, is normal access."""
    from simulations.demo import run_demo

    settings = HubSettings(data=tmp_path / "demo", log_format="json")
    code = await run_demo(settings, keep_running=False, console=Console(file=io.StringIO()))
    assert code == 0
    _assert_watched_and_quiet(settings.data)


async def test_normal_load_raises_nothing(tmp_path: Path) -> None:
    """The load generator's mixed traffic (SOAP and JSON queries, issued records) at a
    steady rate is normal access."""
    from simulations.load import LoadPlan, run_load

    settings = HubSettings(data=tmp_path / "load", log_format="json")
    plan = LoadPlan(regions=1, departments=2, rate=40, duration_s=4)
    assert await run_load(settings, plan, Console(file=io.StringIO())) == 0
    _assert_watched_and_quiet(settings.data / "north")


def _assert_watched_and_quiet(data: Path) -> None:
    """The watch followed the whole ledger, and no anomaly was recorded."""
    ledger = build_ledger(HubSettings(data=data))
    store = open_read_store(None, data)
    try:
        head = ledger.recorder.max_notification_id() or 0
        assert ReadView(store, None).positions()[AccessWatch.name] == head > 0
        anomalies = AccessAnomalies(ledger, CredentialService(ledger, "north"), "north")
        assert anomalies.list() == []
    finally:
        store.close()
        ledger.close()


SOAP_CLEARANCE = (
    b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
    b'<c:TaxClearanceQuery xmlns:c="urn:interop-hub:contracts:1"><c:national_id>19800101-1234'
    b"</c:national_id><c:tax_year>2025</c:tax_year></c:TaxClearanceQuery></soap:Body>"
    b"</soap:Envelope>")


async def test_json_and_soap_exchanges_name_the_credential(hub_settings: HubSettings) -> None:
    """Each exchange records which credential proved its client (the watch's key), on the
    JSON and the SOAP ingress alike, refusals included."""
    async with watched_region(hub_settings) as hub, httpx.AsyncClient(timeout=30) as http:
        token, credential = await asyncio.to_thread(_issue, hub, "north/social-security")
        bearer = {"Authorization": f"Bearer {token}", "X-Hub-Purpose": "benefit-eligibility"}
        soap = await http.post(f"{hub.http_url}/soap", content=SOAP_CLEARANCE, headers={
            **bearer, "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": '"TaxClearance"'})
        refused = await http.post(f"{hub.http_url}/services/{HISTORY}", content=b"{}", headers={
            **bearer, "Content-Type": "application/json"})
        assert (soap.status_code, refused.status_code) == (200, 422)  # {} lacks fields
        for answer in (soap, refused):
            [received, *_] = await asyncio.to_thread(
                hub.ledger.history, uuid.UUID(answer.headers["X-Exchange-Id"]))
            assert isinstance(received, Exchange.Received)
            assert (received.credential, received.client) == (credential,
                                                              "north/social-security")
