"""A case held by one region runs a step in another: two real regions joined by NATS leaf
nodes, the destination's one-stop desk querying the origin's social security (granted by
the origin, like any client of another region), and the origin's answer filling the
destination's own step."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from uuid import UUID

import pytest

from contracts import default_registry
from hub.adapters.readmodels.cases import CaseBoard
from hub.service_layer.cases.case_type import read_case_type
from hub.service_layer.cases.checking import check_case_type
from hub.service_layer.cases.engine import CaseEngine
from hub.service_layer.cases.recognising import NoFederation
from hub.service_layer.cases.running import GatewayStepRunner
from hub.settings import HubSettings
from tests.integration.cases_fixtures import NATIONAL_ID, Clock, calendars
from tests.integration.hub_fixtures import grant
from tests.integration.links_fixtures import linked_regions
from tests.integration.test_case_engine import RELOCATION
from tests.integration.test_case_exchanges import CASE_TYPE

DESK = "south/one-stop"
# The benefit check, held by south: the contribution history comes from north (where the
# applicant lived), the tax clearance from south.
ACROSS = (CASE_TYPE.replace('region = "north"', 'region = "south"')
          .replace('service = "north/tax/tax-clearance"', 'service = "south/tax/tax-clearance"'))


@pytest.fixture
def base(tmp_path: Path) -> HubSettings:
    return HubSettings(data=tmp_path, reply_timeout_s=20, retry_backoff_s=0.05, max_deliver=3,
                       link_timeout_s=2, log_format="json")


async def test_a_south_case_runs_a_step_in_north(base: HubSettings, tmp_path: Path) -> None:
    registry = default_registry()
    path = tmp_path / "benefit-check.toml"
    path.write_text(ACROSS)
    kind, findings = read_case_type(path)
    assert kind is not None and findings == []
    async with linked_regions(base, ["north", "south"]) as regions:
        north, south = regions["north"].hub, regions["south"].hub
        assert check_case_type(kind, registry, [*north.directory, *south.directory]) == []
        await grant(north, DESK, "north/social-security/contribution-history",
                    "benefit-eligibility")
        await grant(south, DESK, "south/tax/tax-clearance", "benefit-eligibility")
        engine = CaseEngine(south.ledger, registry, {str(kind.id): kind}, calendars(),
                            GatewayStepRunner(south.gateway, registry, DESK),
                            Clock(dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC)),
                            CaseBoard(south.ledger), recognitions=NoFederation())
        case_id = await engine.submit("benefit-check@1.0", "south/portal", RELOCATION, {})
        case = await engine.advance(case_id)
        assert case.status == "completed", case.steps
        assert case.steps["contributions"]["answer"]["person"]["family_name"] == "Andersson"
        assert case.steps["tax"]["answer"]["national_id"] == NATIONAL_ID
        asked = south.ledger.get(UUID(case.steps["contributions"]["exchange_id"]))
        assert (asked.client, asked.provider) == (DESK, "north/social-security")
        answered = [north.ledger.get(i) for i in north.ledger.exchange_ids()]
        assert [(e.client, e.correlation_id) for e in answered] == [(DESK, str(case_id))]
