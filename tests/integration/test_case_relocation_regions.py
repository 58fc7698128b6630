"""The shipped relocation end to end across two real regions (NATS leaf nodes): south holds
the case (HUB_CASES=deploy/cases); its first step queries north's social security for the
origin's contribution record (granted by north, like any client of another region); the
destination's departments' case desks (simulated, through the shipped mappings) take their
steps in their own JSON shapes, acknowledge, and decide later over HTTP; the vehicle step
waits for the tax reference; the case completes and issues its result.

Not covered: ``recognise`` is not enforced at run time yet (see docs/cases.md)."""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from contracts import default_registry
from hub.entrypoints.http.asgi_server import serve_asgi
from hub.service_layer.cases.engine import step_id
from hub.service_layer.exchanges.routing import ServiceDefinition, load_services
from hub.settings import HubSettings
from simulations.case_desks.app import CaseDeskBehaviour, case_desks_app
from tests.integration.cases_fixtures import NATIONAL_ID, decided
from tests.integration.hub_fixtures import auth_headers, grant
from tests.integration.links_fixtures import linked_regions
from tests.integration.test_case_engine import RELOCATION

ROOT = Path(__file__).resolve().parents[2]
DESK = "south/one-stop"


@pytest.fixture
def base(tmp_path: Path) -> HubSettings:
    return HubSettings(data=tmp_path, reply_timeout_s=20, retry_backoff_s=0.05, max_deliver=3,
                       link_timeout_s=2, log_format="json")


def case_services(region: str, url: str) -> list[ServiceDefinition]:
    """The region's shipped case-step services, reaching the desks at ``url``."""
    services = load_services(ROOT / "deploy/cases/services" / f"{region}.toml",
                             default_registry())
    return [dataclasses.replace(s, endpoint=url) for s in services]


async def test_relocation_runs_from_north_to_south(base: HubSettings) -> None:
    desks = CaseDeskBehaviour()
    async with contextlib.AsyncExitStack() as stack:
        url = await stack.enter_async_context(serve_asgi(case_desks_app(desks)))
        regions = await stack.enter_async_context(linked_regions(
            base, ["north", "south"], cases=ROOT / "deploy/cases",
            more_services={r: case_services(r, url) for r in ("north", "south")}))
        north, south = regions["north"].hub, regions["south"].hub
        await grant(north, DESK, "north/social-security/contribution-history",
                    "benefit-eligibility")
        for service in ("south/social-security/insurance-transfer", "south/tax/registration",
                        "south/vehicles/re-registration"):
            await grant(south, DESK, service, "relocation")
        async with httpx.AsyncClient(base_url=south.http_url, timeout=60) as client:
            filed = await client.post("/cases", headers=auth_headers(south, "south/portal"),
                                      json={"case_type": "relocation@1.0",
                                            "application": RELOCATION,
                                            "documents": {"proof-of-address": "doc-1"}})
            assert filed.status_code == 201, filed.text
            case_id = UUID(filed.json()["case_id"])
            steps = filed.json()["steps"]
            assert steps["contribution-record"]["state"] == "approved", steps
            assert steps["insurance-transfer"] == {"state": "acknowledged",
                                                   "reference": "SS-000001", "reason": ""}
            assert steps["tax-registration"]["reference"] == "TAX-000001"
            assert steps["vehicle-re-registration"]["state"] == "waiting"
            # The transfer desk got the origin record's date from north's answer.
            (transfer,) = desks.received["insurance-transfer"]
            assert transfer["tin"] == NATIONAL_ID and transfer["fromRegion"] == "north"
            assert transfer["originRecordAsOf"] and transfer["proofOfAddress"] == "doc-1"

            async def decide(name: str, department: str, reference: str) -> dict[str, object]:
                sent = await client.post(f"/cases/steps/{step_id(case_id, name)}/decision",
                                         headers=auth_headers(south, department),
                                         json=decided("approved", reference))
                assert sent.status_code == 200, sent.text
                answer: dict[str, object] = sent.json()
                return answer

            await decide("tax-registration", "south/tax", "TAX-000001")
            assert desks.received["vehicle-registration"] == [{
                "tin": NATIONAL_ID, "plate": "AB123CD", "address": "Via Roma 1, Southtown",
                "taxRef": "TAX-000001"}]
            await decide("insurance-transfer", "south/social-security", "SS-000001")
            done = await decide("vehicle-re-registration", "south/vehicles", "VEH-000001")
            assert done["status"] == "completed", done
        assert south.cases is not None
        case = await south.cases.advance(case_id)
        assert case.result is not None
        asked = south.ledger.get(UUID(case.steps["contribution-record"]["exchange_id"]))
        assert (asked.client, asked.provider) == (DESK, "north/social-security")
        answered = [north.ledger.get(i) for i in north.ledger.exchange_ids()]
        assert [(e.client, e.correlation_id) for e in answered] == [(DESK, str(case_id))]
