"""A department decides a case step over SOAP (``SubmitStepDecision`` on ``POST /soap``),
authenticated as for its queries, with the same checks and recording as over JSON and
NATS. The client is zeep, built from the WSDL the hub publishes; what it sends and what the
hub answers validate with the contracts' XSD."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
import requests
import xmlschema
import zeep
from lxml import etree
from zeep.transports import Transport
from zeep.wsse.username import UsernameToken

from contracts.cases import StepDecisionReceipt, StepDecisionSubmission
from contracts.renderings import xsd_path
from hub.domain.exchange import Status
from hub.settings import HubSettings
from simulations.scenario import HARDENED_ZEEP
from tests.integration.hub_fixtures import Hub, auth_headers, grant, running_region
from tests.integration.test_case_engine import RELOCATION
from tests.integration.test_case_exchanges import CASE_TYPE
from translation.soap_envelope import parse_envelope, parse_fault

DECISION = {"national_id": RELOCATION["national_id"], "outcome": "approved",
            "reference": "SS-9"}
USER, PASSWORD = "ss-legacy", "legacy-password-0123456789"


@contextlib.asynccontextmanager
async def _case_hub(hub_settings: HubSettings, tmp_path: Path) -> AsyncIterator[tuple[Hub, str]]:
    """A hub running the benefit check, and the step id of a filed case's first step."""
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "benefit-check.toml").write_text(CASE_TYPE)
    async with running_region(hub_settings.model_copy(update={"cases": folder})) as region:
        hub = region.hub
        # No right on the contribution history: that step fails, social security decides it.
        await grant(hub, "north/one-stop", "north/tax/tax-clearance", "benefit-eligibility")
        async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
            filed = await client.post("/cases", headers=auth_headers(hub, "north/portal"),
                                      json={"case_type": "benefit-check@1.0",
                                            "application": RELOCATION})
        assert filed.status_code == 201, filed.text
        yield hub, f"{filed.json()['case_id']}.contributions"


def _zeep(hub: Hub, department: str | None, wsse: UsernameToken | None = None) -> zeep.Client:
    """zeep over the published WSDL, as ``department`` (bearer token), or bare with ``wsse``."""
    session = requests.Session()
    if department is not None:
        session.headers.update(auth_headers(hub, department, **{"X-Hub-Purpose": ""}))
    return zeep.Client(f"{hub.http_url}/soap?wsdl", settings=HARDENED_ZEEP,
                       transport=Transport(session=session), wsse=wsse)


def _message(client: zeep.Client, step: str, decision: dict[str, Any]) -> etree._Element:
    return client.create_message(client.service, "SubmitStepDecision", step_id=step,
                                 decision=decision)


async def _post(hub: Hub, department: str, envelope: etree._Element) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(f"{hub.http_url}/soap", content=etree.tostring(envelope),
                               headers={**auth_headers(hub, department, **{"X-Hub-Purpose": ""}),
                                        "Content-Type": "text/xml; charset=utf-8"})


def _body(data: bytes) -> etree._Element:
    return parse_envelope(data).body


def _schema(model: type[Any]) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(xsd_path(model.contract_id())))


@pytest.fixture(scope="module")
def _schemas() -> Iterator[tuple[xmlschema.XMLSchema, xmlschema.XMLSchema]]:
    yield _schema(StepDecisionSubmission), _schema(StepDecisionReceipt)


async def test_a_department_decides_its_step_over_soap_with_zeep(
        hub_settings: HubSettings, tmp_path: Path,
        _schemas: tuple[xmlschema.XMLSchema, xmlschema.XMLSchema]) -> None:
    """The WSDL offers SubmitStepDecision; zeep's request and the hub's receipt validate with
    their XSD; the same decision again is answered the same and records nothing."""
    submission_xsd, receipt_xsd = _schemas
    async with _case_hub(hub_settings, tmp_path) as (hub, step):
        client = await asyncio.to_thread(_zeep, hub, "north/social-security")
        assert "SubmitStepDecision" in client.service._operations
        sent = _message(client, step, DECISION)
        submission_xsd.validate(etree.tostring(_body(etree.tostring(sent))))
        answer = await _post(hub, "north/social-security", sent)
        assert answer.status_code == 200, answer.text
        receipt_xsd.validate(etree.tostring(_body(answer.content)))

        receipt = await asyncio.to_thread(
            client.service.SubmitStepDecision, step_id=step, decision=DECISION)
        assert (receipt.step_id, receipt.step_state, receipt.reference) == (
            step, "approved", "SS-9")
        case_id = UUID(step.partition(".")[0])
        version = hub.ledger.repository.get(case_id).version
        again = await asyncio.to_thread(
            client.service.SubmitStepDecision, step_id=step, decision=DECISION)
        assert again == receipt
        assert hub.ledger.repository.get(case_id).version == version


async def test_refusals_are_faults_naming_the_field_and_are_recorded(
        hub_settings: HubSettings, tmp_path: Path) -> None:
    """Another department's step, a bad outcome, a step id that is no step id: each a Fault
    naming code and path, each recorded as a rejected exchange of its caller."""
    async with _case_hub(hub_settings, tmp_path) as (hub, step):
        client = await asyncio.to_thread(_zeep, hub, "north/tax")
        foreign = await _post(hub, "north/tax", _message(client, step, DECISION))
        fault = parse_fault(_body(foreign.content))
        assert (foreign.status_code, fault.faultcode, fault.code) == (
            403, "Client", "step-not-yours"), foreign.text
        rejected = hub.ledger.get(UUID(foreign.headers["X-Exchange-Id"]))
        assert rejected.status is Status.REJECTED and rejected.client == "north/tax"

        bad = _message(client, step, DECISION)
        outcome = bad.find(".//{urn:interop-hub:contracts:1}outcome")
        assert outcome is not None
        outcome.text = "maybe"
        refused = await _post(hub, "north/social-security", bad)
        fault = parse_fault(_body(refused.content))
        assert fault.code == "schema-violation", refused.text  # checked with the XSD first
        assert [i.path for i in fault.issues] == ["/StepDecisionSubmission/decision/outcome"]
        assert RELOCATION["national_id"] not in refused.text

        nameless = await _post(hub, "north/social-security",
                               _message(client, "not-a-step", DECISION))
        fault = parse_fault(_body(nameless.content))
        assert [i.path for i in fault.issues] == ["/StepDecisionSubmission/step_id"]
        exchange = hub.ledger.get(UUID(nameless.headers["X-Exchange-Id"]))
        assert exchange.status is Status.REJECTED and exchange.client == "north/social-security"


async def test_a_legacy_username_token_proves_the_department(
        hub_settings: HubSettings, tmp_path: Path) -> None:
    """A department whose system cannot set HTTP headers decides with a UsernameToken."""
    async with _case_hub(hub_settings, tmp_path) as (hub, step):
        assert hub.credentials is not None
        await asyncio.to_thread(hub.credentials.legacy.set_username_token,
                                "north/social-security", USER, PASSWORD)
        client = await asyncio.to_thread(
            _zeep, hub, None, UsernameToken(USER, PASSWORD, use_digest=True))
        decision = {**DECISION, "outcome": "refused", "reason": "not insured"}
        receipt = await asyncio.to_thread(
            client.service.SubmitStepDecision, step_id=step, decision=decision)
    assert (receipt.case_status, receipt.step_state) == ("refused", "refused")
