"""The shipped opening-a-business case type end to end in one running region: the steps run
as exchanges of north's one-stop desk to the departments' case desks (simulated, in their
own JSON shapes, through the shipped mappings), which acknowledge at once and send their
decisions days later over HTTP; the case completes and issues its result."""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from uuid import UUID

import httpx

from contracts import default_registry
from hub.entrypoints.http.asgi_server import serve_asgi
from hub.entrypoints.serve import run_hub
from hub.service_layer.cases.engine import step_id
from hub.service_layer.exchanges.routing import load_services
from hub.settings import HubSettings
from simulations.case_desks.app import CaseDeskBehaviour, case_desks_app
from simulations.departments import DepartmentEndpoints, region_services
from simulations.social_security_bureau import BureauBehaviour
from simulations.social_security_bureau import create_app as social_security_app
from simulations.tax_bureau import TaxBehaviour
from simulations.tax_bureau import create_app as tax_app
from tests.integration.cases_fixtures import NATIONAL_ID, decided, shipped
from tests.integration.hub_fixtures import auth_headers, grant
from tests.integration.test_case_engine import BUSINESS

ROOT = Path(__file__).resolve().parents[2]
DESK = "north/one-stop"


async def test_business_opening_runs_in_a_region_with_the_departments_desks(
        hub_settings: HubSettings) -> None:
    registry = default_registry()
    kind = shipped("business-opening")
    desks = CaseDeskBehaviour()
    async with contextlib.AsyncExitStack() as stack:
        url = await stack.enter_async_context(serve_asgi(case_desks_app(desks)))
        ss = await stack.enter_async_context(serve_asgi(social_security_app(BureauBehaviour())))
        tax = await stack.enter_async_context(serve_asgi(tax_app(TaxBehaviour())))
        # The region's services (with its bureaus) and its case steps' services, reaching
        # the desks; the hub runs the shipped case types (HUB_CASES=deploy/cases).
        endpoints = DepartmentEndpoints(f"{ss}/ws/insurance?wsdl", tax)
        services = [*region_services("north", endpoints),
                    *(dataclasses.replace(s, endpoint=url) for s in
                      load_services(ROOT / "deploy/cases/services/north.toml", registry))]
        settings = hub_settings.model_copy(update={"cases": ROOT / "deploy/cases"})
        hub = await stack.enter_async_context(run_hub(settings, services))
        assert hub.cases is not None
        for step in kind.steps:
            await grant(hub, DESK, str(step.service), step.purpose)
        async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
            filed = await client.post("/cases", headers=auth_headers(hub, "north/portal"), json={
                "case_type": "business-opening@1.0", "application": BUSINESS,
                "documents": {"identity-document": "doc-9"}})
        assert filed.status_code == 201, filed.text
        case_id = UUID(filed.json()["case_id"])
        row = hub.cases.board.get(case_id)
        assert row is not None
        assert row.step("tax-registration").state == "acknowledged"
        assert row.step("tax-registration").reference == "TAX-000001"
        assert row.step("business-registration").reference == "BR-000001"
        assert row.step("self-employed-insurance").state == "waiting"
        # Each desk got the application in its own shape, nothing more.
        assert desks.received["business-register"] == [{
            "tin": NATIONAL_ID, "tradeName": "Rossi Bakery", "nace": "10.71",
            "address": "Main Street 5, Northtown", "startsOn": "2027-01-04",
            "identityDocument": "doc-9"}]

        # The departments decide later, over HTTP.
        async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
            for name, department, reference in (
                    ("tax-registration", "north/tax", "TAX-000001"),
                    ("business-registration", "north/business-register", "BR-000001")):
                sent = await client.post(
                    f"/cases/steps/{step_id(case_id, name)}/decision",
                    headers=auth_headers(hub, department),
                    json=decided("approved", reference))
                assert sent.status_code == 200, sent.text
            assert desks.received["self-employed"] == [{
                "tin": NATIONAL_ID, "businessRef": "BR-000001", "taxRef": "TAX-000001",
                "from": "2027-01-04"}]
            sent = await client.post(
                f"/cases/steps/{step_id(case_id, 'self-employed-insurance')}/decision",
                headers=auth_headers(hub, "north/social-security"),
                json=decided("approved", "SE-000001"))
            assert sent.status_code == 200 and sent.json()["status"] == "completed", sent.text
        case = await hub.cases.advance(case_id)
        assert case.result is not None
        assert [r["reference"] for r in case.result["references"]] == [
            "TAX-000001", "BR-000001", "SE-000001"]
        exchange = hub.ledger.get(UUID(case.steps["self-employed-insurance"]["exchange_id"]))
        assert (exchange.client, exchange.correlation_id) == (DESK, str(case_id))
