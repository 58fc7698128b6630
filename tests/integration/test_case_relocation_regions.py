"""The shipped relocation end to end across two real regions (NATS leaf nodes): south holds
the case (HUB_CASES=deploy/cases); its first step queries north's social security for the
origin's contribution record (granted by north, like any client of another region);
north answers it attested (an issued record, sent to south's federation), and the
insurance transfer, which recognises that record, goes out only once south's federation
recognised it (the regions trust each other and agree, as the federation demo sets them
up); the destination's departments' case desks (simulated, through the shipped mappings)
take their steps in their own JSON shapes, acknowledge, and decide later over HTTP; the
vehicle step waits for the tax reference; the case completes and issues its result.
Refused recognitions (south does not trust north; the agreement suspended) leave the
transfer unsent, with the federation's reason on the case."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Awaitable, Callable
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from contracts import default_registry
from hub.bootstrap.federation import FederationTransport
from hub.entrypoints.http.asgi_server import serve_asgi
from hub.service_layer.cases.engine import step_id
from hub.service_layer.exchanges.routing import ServiceDefinition, load_services
from hub.service_layer.federation.answers import answer_record_id
from hub.service_layer.federation.app import utc_now
from hub.settings import HubSettings
from simulations.case_desks.app import CaseDeskBehaviour, case_desks_app
from simulations.federation_scenarios import FederatedRegion, prepare
from tests.integration.cases_fixtures import NATIONAL_ID, decided
from tests.integration.hub_fixtures import auth_headers, grant
from tests.integration.links_fixtures import LinkedRegion, linked_regions
from tests.integration.test_case_engine import RELOCATION

ROOT = Path(__file__).resolve().parents[2]
DESK = "south/one-stop"


def federated(linked: LinkedRegion) -> FederatedRegion:
    transport = linked.hub.federation
    assert isinstance(transport, FederationTransport), f"{linked.name}: no federation"
    return FederatedRegion(linked.settings, transport.federation, transport.link)


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
        await prepare({r: federated(regions[r]) for r in ("north", "south")}, now=utc_now())
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
            # South recognised north's record of its answer before sending the transfer.
            shown = await client.get(f"/cases/{case_id}",
                                     headers=auth_headers(south, "south/portal"))
            recognition = next(s for s in shown.json()["steps"]
                               if s["name"] == "insurance-transfer")["recognition"]

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
        assert asked.ingress == "case-attested"
        answered = [north.ledger.get(i) for i in north.ledger.exchange_ids()]
        assert [(e.client, e.correlation_id) for e in answered] == [(DESK, str(case_id))]
        record_id = answer_record_id("south", str(asked.id))
        north_federation = federated(regions["north"]).federation
        record = north_federation.app.get_record(record_id)
        decided_here = federated(regions["south"]).federation.app.recognition_of(
            "north", str(record_id))
        events = {type(e).__name__: e for e in south.ledger.events.get(case_id)}
    assert recognition == {"of": "contribution-record", "issuer": "north",
                           "record_id": str(record_id), "outcome": "recognised", "code": "",
                           "reason": ""}
    assert (record.department, record.contract) == (
        "social-security", "social-security.contribution-history@1.0")
    assert decided_here is not None and decided_here.is_recognised
    assert events["StepRecognised"].kid == north_federation.keys.active.kid
    assert events["StepRecognised"].agreement_id


async def _untrusted(regions: dict[str, LinkedRegion]) -> None:
    """South never added north's keys to its trust list (north trusts south)."""


async def _suspended(regions: dict[str, LinkedRegion]) -> None:
    """They trust each other and agreed, but south suspended the agreements since."""
    opened = {r: federated(regions[r]) for r in ("north", "south")}
    await prepare(opened, now=utc_now())
    south = opened["south"].federation.app
    for agreement in south.agreements():
        await asyncio.to_thread(south.suspend_agreement, agreement.id, "registry under audit")


@pytest.mark.parametrize(("setup", "code"), [(_untrusted, "unknown-key"),
                                             (_suspended, "agreement-suspended")])
async def test_a_refused_recognition_leaves_the_transfer_unsent(
        base: HubSettings, setup: Callable[[dict[str, LinkedRegion]], Awaitable[None]],
        code: str) -> None:
    """North answers and attests, south's federation refuses the record: the insurance
    transfer is never sent, the case stays open, and its progress names the reason."""
    desks = CaseDeskBehaviour()
    async with contextlib.AsyncExitStack() as stack:
        url = await stack.enter_async_context(serve_asgi(case_desks_app(desks)))
        regions = await stack.enter_async_context(linked_regions(
            base, ["north", "south"], cases=ROOT / "deploy/cases",
            more_services={r: case_services(r, url) for r in ("north", "south")}))
        north, south = regions["north"].hub, regions["south"].hub
        await setup(regions)
        await grant(north, DESK, "north/social-security/contribution-history",
                    "benefit-eligibility")
        for service in ("south/social-security/insurance-transfer", "south/tax/registration"):
            await grant(south, DESK, service, "relocation")
        async with httpx.AsyncClient(base_url=south.http_url, timeout=60) as client:
            filed = await client.post("/cases", headers=auth_headers(south, "south/portal"),
                                      json={"case_type": "relocation@1.0",
                                            "application": RELOCATION,
                                            "documents": {"proof-of-address": "doc-1"}})
            assert filed.status_code == 201, filed.text
            shown = await client.get(f"/cases/{filed.json()['case_id']}",
                                     headers=auth_headers(south, "south/portal"))
    steps = {s["name"]: s for s in shown.json()["steps"]}
    assert shown.json()["status"] == "open"
    assert steps["contribution-record"]["state"] == "approved"
    transfer = steps["insurance-transfer"]
    assert transfer["state"] == "failed", transfer
    assert transfer["reason"].startswith(f"recognition-refused: {code}: "), transfer
    assert transfer["recognition"]["outcome"] == "refused"
    assert transfer["recognition"]["code"] == code and transfer["recognition"]["issuer"] == "north"
    assert "insurance-transfer" not in desks.received
    assert desks.received["tax-registration"]  # the independent step went its way
