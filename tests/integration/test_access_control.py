"""Access rights, purposes, consent and minimisation against a real hub (HTTP, NATS, SQLite).

Each refusal is answered with a precise code and the header or field at fault,
recorded as Received + Rejected (or, decided again at delivery, DeliveryFailed),
and never reaches the provider; each answer holds only its purpose's fields.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from uuid import UUID

import httpx
from lxml import etree

from hub.domain.consent import Consent
from hub.domain.credential import CredentialKind
from hub.domain.exchange import Status
from hub.settings import HubSettings
from tests.integration.console_fixtures import enrol
from tests.integration.hub_fixtures import (
    PURPOSE,
    Region,
    auth_headers,
    completed,
    department_token,
    grant,
    revoke,
    running_region,
)
from tests.waiting import wait_until_async
from translation.soap_envelope import parse_envelope
from translation.xml_safety import XmlLimits, parse_xml

SS = "north/social-security/contribution-history"
TAX = "north/tax/tax-clearance"
PERSON = "19800101-1234"
HISTORY = {"national_id": PERSON, "period_start": "2000-01-01", "period_end": "2026-12-31"}
CLEARANCE = {"national_id": PERSON, "tax_year": 2025}


async def _ask(region: Region, service: str, body: object, *, client: str = "north/tax",
               purpose: str | None = PURPOSE) -> httpx.Response:
    headers = await asyncio.to_thread(
        auth_headers, region.hub, client, **{"Content-Type": "application/json",
                                             "X-Hub-Purpose": purpose or ""})
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(f"{region.hub.http_url}/services/{service}",
                               content=json.dumps(body).encode(), headers=headers)


def _events(region: Region, exchange_id: str) -> list[str]:
    return [type(e).__name__ for e in region.hub.ledger.history(UUID(exchange_id))]


def _refused(region: Region, response: httpx.Response, code: str, path: str) -> None:
    """403 naming ``code`` and ``path``, recorded as Received + Rejected, no provider call."""
    assert response.status_code == 403, response.text
    problem = response.json()
    assert problem["code"] == code
    assert [(i["code"], i["path"]) for i in problem["issues"]] == [(code, path)]
    assert _events(region, problem["exchange_id"]) == ["Received", "Rejected"]
    assert region.social_security.calls == 0 and region.tax.calls == 0
    assert PERSON not in response.text  # nothing of the person leaks into a refusal


async def test_no_right_is_refused_and_recorded(hub_settings: HubSettings) -> None:
    """Deny by default: social security holds no right on contribution histories."""
    async with running_region(hub_settings) as region:
        response = await _ask(region, SS, HISTORY, client="north/social-security")
        _refused(region, response, "access-denied", "header:X-Hub-Client")
        assert "interop-hub access grant" in response.json()["detail"]


async def test_missing_unknown_and_forged_purposes_are_refused(hub_settings: HubSettings) -> None:
    """No purpose, a purpose the service does not declare, and one the right does not cover."""
    async with running_region(hub_settings) as region:
        missing = await _ask(region, SS, HISTORY, purpose=None)
        _refused(region, missing, "purpose-required", "header:X-Hub-Purpose")
        unknown = await _ask(region, SS, HISTORY, purpose="curiosity")
        _refused(region, unknown, "unknown-purpose", "header:X-Hub-Purpose")
        assert "benefit-eligibility" in unknown.json()["detail"]  # names the declared ones
        forged = await _ask(region, TAX, CLEARANCE, client="north/social-security",
                            purpose="licence-renewal")
        _refused(region, forged, "purpose-not-granted", "header:X-Hub-Purpose")


async def test_the_answer_holds_only_the_purposes_fields(hub_settings: HubSettings) -> None:
    """tax-assessment sees national id, employers and bases; the full answer stays sealed."""
    async with running_region(hub_settings) as region:
        response = await _ask(region, SS, HISTORY, purpose="tax-assessment")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["person"] == {"national_id": PERSON}
        assert {k for p in body["periods"] for k in p} == {
            "employer_id", "contribution_base", "currency"}
        assert "Andersson" not in response.text
        exchange_id = response.headers["X-Exchange-Id"]
        await completed(region.hub, exchange_id)
        assert _events(region, exchange_id) == [
            "Received", "Translated", "Authorised", "Routed", "Delivered", "Responded",
            "Disclosed", "Completed"]
        exchange = region.hub.ledger.get(UUID(exchange_id))
        assert exchange.response is not None
        assert exchange.response["person"]["family_name"] == "Andersson"  # sealed, complete
        [disclosed] = [e for e in region.hub.ledger.history(exchange.id)
                       if type(e).__name__ == "Disclosed"]
        assert disclosed.recipient == "north/tax" and disclosed.basis == "legal-basis"
        assert disclosed.data_subject.startswith("ds-") and PERSON not in str(vars(disclosed))


async def _revoked_while_queued(
    hub_settings: HubSettings, withdraw, service: str, body: object, client: str, purpose: str,
    prepare=None,
):  # type: ignore[no-untyped-def]
    """Query; the first delivery fails (provider fault) so the exchange waits in JetStream for
    its redelivery; ``withdraw`` runs then; the answer and the region are returned."""
    settings = hub_settings.model_copy(update={"retry_backoff_s": 5.0, "max_deliver": 3})
    async with running_region(settings) as region:
        if prepare is not None:
            await prepare(region)
        region.social_security.server_faults_next = 1
        query = asyncio.create_task(_ask(region, service, body, client=client, purpose=purpose))
        await wait_until_async(lambda: region.social_security.calls >= 1, timeout_s=20,
                               interval_s=0.1, message="the first delivery reaching the provider")
        await withdraw(region)
        response = await query
        yield region, response


async def test_a_right_revoked_while_queued_fails_the_exchange(hub_settings: HubSettings) -> None:
    """Revoked after acceptance: the redelivery is refused before the provider is called."""
    async def withdraw(region: Region) -> None:
        await revoke(region.hub, "north/tax", SS)

    async for region, response in _revoked_while_queued(
        hub_settings, withdraw, SS, HISTORY, "north/tax", PURPOSE
    ):
        assert response.status_code == 403, response.text
        problem = response.json()
        assert (problem["code"], problem["outcome"]) == ("access-revoked", "failed")
        exchange = region.hub.ledger.get(UUID(problem["exchange_id"]))
        assert exchange.status is Status.FAILED
        failures = [e for e in region.hub.ledger.history(exchange.id)
                    if type(e).__name__ == "DeliveryFailed"]
        assert [(f.code, f.retryable) for f in failures] == [
            ("provider-fault", True), ("access-revoked", False)]
        assert region.social_security.calls == 1  # only the faulted first attempt
        assert "Andersson" not in response.text


async def test_consent_revoked_while_queued_fails_the_exchange(hub_settings: HubSettings) -> None:
    """income-verification needs consent: given, the query is accepted; withdrawn before the
    redelivery, the exchange fails with consent-revoked and no use is recorded."""
    refs: dict[str, str] = {}

    async def prepare(region: Region) -> None:
        policy, keyring = region.hub.access, region.hub.ledger.keyring
        refs["ref"] = keyring.ref_for(PERSON)
        until = dt.date.today() + dt.timedelta(days=30)
        await asyncio.to_thread(policy.consents.grant, refs["ref"], "income-verification",
                                "north/tax", until=until)

    async def withdraw(region: Region) -> None:
        assert region.hub.access is not None
        await asyncio.to_thread(region.hub.access.consents.revoke, refs["ref"],
                                "income-verification", "north/tax")

    async for region, response in _revoked_while_queued(
        hub_settings, withdraw, SS, HISTORY, "north/tax", "income-verification", prepare
    ):
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "consent-revoked"
        assert region.social_security.calls == 1
        assert region.hub.access is not None
        consent = region.hub.access.consents.get(refs["ref"], "income-verification", "north/tax")
        assert consent is not None and consent.uses == 0
        names = [type(e).__name__ for e in region.hub.ledger.events.get(consent.id)]
        assert names == ["Created", "Granted", "Revoked"]


async def test_consent_narrows_the_fields_and_each_use_is_recorded(
    hub_settings: HubSettings,
) -> None:
    """A consent for two fields: the answer holds those only; Consent.Used names them."""
    async with running_region(hub_settings) as region:
        policy, keyring = region.hub.access, region.hub.ledger.keyring
        ref = keyring.ref_for(PERSON)
        refused = await _ask(region, SS, HISTORY, purpose="income-verification")
        _refused(region, refused, "consent-required", "consent")
        consent = await asyncio.to_thread(
            policy.consents.grant, ref, "income-verification", "north/tax",
            until=dt.date.today(), fields=["periods.start", "periods.contribution_base"])
        response = await _ask(region, SS, HISTORY, purpose="income-verification")
        assert response.status_code == 200, response.text
        assert {k for p in response.json()["periods"] for k in p} == {
            "start", "contribution_base"}
        assert set(response.json()) == {"periods"}
        events = list(region.hub.ledger.events.get(consent.id))
        used = [e for e in events if isinstance(e, Consent.Used)]
        assert [(u.exchange_id, u.fields) for u in used] == [
            (response.headers["X-Exchange-Id"], ["periods.contribution_base", "periods.start"])]


async def test_soap_names_the_purpose_in_a_header_and_gets_a_minimised_body(
    hub_settings: HubSettings,
) -> None:
    """hub:purpose licence-renewal (with consent): the SOAP answer omits the amount owed;
    without a right the SOAP client gets a Fault naming access-denied."""
    def envelope(client: str, purpose: str) -> bytes:
        return (
            '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:hub="urn:interop-hub:envelope:1"><s:Header>'
            f"<hub:client>{client}</hub:client><hub:purpose>{purpose}</hub:purpose>"
            '</s:Header><s:Body><c:TaxClearanceQuery xmlns:c="urn:interop-hub:contracts:1">'
            f"<c:national_id>{PERSON}</c:national_id><c:tax_year>2025</c:tax_year>"
            "</c:TaxClearanceQuery></s:Body></s:Envelope>"
        ).encode()

    async with running_region(hub_settings) as region, httpx.AsyncClient(timeout=30) as http:
        policy, keyring = region.hub.access, region.hub.ledger.keyring
        await grant(region.hub, "north/social-security", TAX, "licence-renewal")
        await asyncio.to_thread(policy.consents.grant, keyring.ref_for(PERSON), "licence-renewal",
                                "north/social-security", until=dt.date.today())
        url = f"{region.hub.http_url}/soap"

        def headers(client: str) -> dict[str, str]:
            return {"Content-Type": "text/xml",
                    "Authorization": f"Bearer {department_token(region.hub, client)}"}

        ok = await http.post(url, content=envelope("north/social-security", "licence-renewal"),
                             headers=headers("north/social-security"))
        assert ok.status_code == 200, ok.text
        assert "status>" in ok.text and "tax_year>" in ok.text
        assert "outstanding_amount" not in ok.text and "issued_on" not in ok.text
        # ...and still valid against the WSDL the hub serves (its answer type is partial)
        [schema] = parse_xml((await http.get(f"{url}?wsdl")).content).xpath(
            "w:types/*[@targetNamespace='urn:interop-hub:contracts:1']",
            namespaces={"w": "http://schemas.xmlsoap.org/wsdl/"})
        answer = parse_envelope(ok.content, XmlLimits()).body
        validator = etree.XMLSchema(etree.fromstring(etree.tostring(schema)))
        assert validator.validate(answer), validator.error_log
        refused = await http.post(url, content=envelope("north/vehicles", "licence-renewal"),
                                  headers=headers("north/vehicles"))
        assert refused.status_code == 403 and "access-denied" in refused.text, refused.text
        assert _events(region, refused.headers["X-Exchange-Id"]) == ["Received", "Rejected"]


async def test_the_http_report_needs_an_auditor(hub_settings: HubSettings) -> None:
    """GET /subjects/{id}/report: 401 without a token, 403 for an operator who is no
    auditor; an auditor's operator token reads every use."""
    async with running_region(hub_settings) as region, httpx.AsyncClient(timeout=30) as http:
        assert (await _ask(region, SS, HISTORY, purpose="tax-assessment")).status_code == 200
        ref = region.hub.ledger.keyring.ref_for(PERSON)
        url = f"{region.hub.http_url}/subjects/{ref}/report"
        assert (await http.get(url)).status_code == 401
        credentials = region.hub.credentials

        def token(name: str, role: str) -> dict[str, str]:
            enrol(region.hub, name, role)
            issued = credentials.issue(f"operator:{name}", CredentialKind.OPERATOR,
                                       dt.timedelta(hours=1))
            return {"Authorization": f"Bearer {issued.token}"}

        viewer = await asyncio.to_thread(token, "vic", "viewer")
        assert (await http.get(url, headers=viewer)).status_code == 403
        auditor = await asyncio.to_thread(token, "aud", "auditor")
        report = await http.get(url, headers=auditor)
        assert report.status_code == 200, report.text
        body = report.json()
        assert body["subject"] == ref
        [use] = body["uses"]
        assert (use["recipient"], use["purpose"], use["basis"]) == (
            "north/tax", "tax-assessment", "legal-basis")
        assert use["service"] == SS and "periods.employer_id" in use["fields"]
        reads = [a for a in await asyncio.to_thread(region.hub.console.directory.actions)
                 if a.action == "subject.report"]
        assert [(r.operator, r.target, r.outcome) for r in reads] == [("aud", ref, "read")]
