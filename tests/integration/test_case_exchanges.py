"""Case steps run as exchanges through the hub's own path: a running region (real NATS,
the emulated SOAP and JSON bureaus), the region's one-stop desk as the client, its access
rights and purposes applied; an earlier step's answer fills the next step's input."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from uuid import UUID

from contracts import default_registry
from hub.adapters.readmodels.cases import CaseBoard
from hub.domain.exchange import Exchange, Status
from hub.service_layer.cases.case_type import read_case_type
from hub.service_layer.cases.checking import check_case_type
from hub.service_layer.cases.engine import CaseEngine, step_id
from hub.service_layer.cases.recognising import NoFederation
from hub.service_layer.cases.running import GatewayStepRunner
from hub.service_layer.exchanges.dead_letter_views import requeue
from hub.settings import HubSettings
from tests.integration.cases_fixtures import NATIONAL_ID, Clock, calendars
from tests.integration.hub_fixtures import grant, running_region
from tests.integration.test_case_engine import RELOCATION
from tests.waiting import wait_until_async

ROOT = Path(__file__).resolve().parents[2]
DESK = "north/one-stop"
CASE_TYPE = f"""
[case_type]
id = "benefit-check@1.0"
title = "Checking a person's records before a move"
application = "relocation.application@1.0"
region = "north"
time_limit = "5 working days"
calendars = "{ROOT / 'deploy' / 'calendars'}"

[[step]]
name = "contributions"
service = "north/social-security/contribution-history"
purpose = "benefit-eligibility"
time_limit = "1 working day"
[step.input]
national_id = "application.national_id"
period_start = "application.insured_since"
period_end = "application.move_date"

[[step]]
name = "tax"
service = "north/tax/tax-clearance"
purpose = "benefit-eligibility"
after = ["contributions"]
time_limit = "1 working day"
[step.input]
national_id = "steps.contributions.person.national_id"
tax_year = {{ value = 2025 }}

[result]
contract = "case.result@1.0"
steps = []
"""


async def test_steps_are_exchanges_of_the_one_stop_desk(hub_settings: HubSettings,
                                                        tmp_path: Path) -> None:
    registry = default_registry()
    path = tmp_path / "benefit-check.toml"
    path.write_text(CASE_TYPE)
    kind, findings = read_case_type(path)
    assert kind is not None and findings == []
    async with running_region(hub_settings) as region:
        hub = region.hub
        assert check_case_type(kind, registry, list(hub.directory)) == []
        clock = Clock(dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC))
        engine = CaseEngine(hub.ledger, registry, {str(kind.id): kind}, calendars(),
                            GatewayStepRunner(hub.gateway, registry, DESK), clock,
                            CaseBoard(hub.ledger), recognitions=NoFederation())
        # Deny by default: without a right the first step's exchange is refused; the step
        # records the failure (no department decided) and the case stays open.
        refused_case = await engine.submit("benefit-check@1.0", "north/portal", RELOCATION, {})
        row = engine.board.get(refused_case)
        assert row is not None and row.status == "open"
        assert row.step("contributions").state == "failed"
        assert row.step("contributions").reason.startswith("access-denied: ")
        refused = hub.ledger.get(UUID(row.step("contributions").exchange_id))
        assert refused.client == DESK and refused.error["code"] == "access-denied"
        # A failed step is still owed: its time limit runs and it becomes overdue.
        clock.move(days=3)
        assert await engine.mark_overdue() == [(refused_case, "contributions")]

        for service in ("north/social-security/contribution-history", "north/tax/tax-clearance"):
            await grant(hub, DESK, service, "benefit-eligibility")
        case_id = await engine.submit("benefit-check@1.0", "north/portal", RELOCATION, {})
        case = await engine.advance(case_id)
        assert case.status == "completed", case.steps
        # Once granted, the failed step of the first case is retried and the case runs on.
        retried = await engine.retry(step_id(refused_case, "contributions"))
        assert retried.status == "completed", retried.steps
        assert retried.steps["contributions"]["exchange_id"] != str(refused.id)
        assert case.steps["contributions"]["answer"]["person"]["national_id"] == NATIONAL_ID
        assert case.steps["tax"]["answer"]["status"] == "cleared"
        for name in ("contributions", "tax"):
            exchange = hub.ledger.get(UUID(case.steps[name]["exchange_id"]))
            assert isinstance(exchange, Exchange)
            assert exchange.client == DESK and exchange.correlation_id == str(case_id)
            assert exchange.purpose == "benefit-eligibility"


async def test_a_dead_lettered_step_fails_and_its_requeued_answer_reaches_the_case(
        hub_settings: HubSettings, tmp_path: Path) -> None:
    """The provider faults on every attempt: the step's exchange is dead-lettered and the
    step records StepFailed (the case stays open). An operator requeues the exchange once
    the provider is fixed; the resume round gives its answer to the case, which runs on."""
    settings = hub_settings.model_copy(update={
        "max_deliver": 2, "retry_backoff_s": 0.05, "provider_timeout_s": 0.5,
        "reply_timeout_s": 15})
    registry = default_registry()
    path = tmp_path / "benefit-check.toml"
    path.write_text(CASE_TYPE)
    kind, _ = read_case_type(path)
    assert kind is not None
    async with running_region(settings) as region:
        hub, bureau = region.hub, region.social_security
        for service in ("north/social-security/contribution-history", "north/tax/tax-clearance"):
            await grant(hub, DESK, service, "benefit-eligibility")
        engine = CaseEngine(hub.ledger, registry, {str(kind.id): kind}, calendars(),
                            GatewayStepRunner(hub.gateway, registry, DESK),
                            Clock(dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC)),
                            CaseBoard(hub.ledger), recognitions=NoFederation())
        bureau.server_faults_next = 100
        case_id = await engine.submit("benefit-check@1.0", "north/portal", RELOCATION, {})
        row = engine.board.get(case_id)
        assert row is not None and row.status == "open"
        step = row.step("contributions")
        assert step.state == "failed" and step.reason.startswith("provider-fault: "), step
        exchange_id = UUID(step.exchange_id)
        assert hub.ledger.get(exchange_id).status is Status.DEAD_LETTERED
        assert await engine.resume() == []  # nothing answered yet: the step stays failed

        bureau.server_faults_next = 0
        await asyncio.to_thread(requeue, hub.ledger, exchange_id, by="test", reason="fixed")
        hub.relay.wake()
        await wait_until_async(
            lambda: hub.ledger.get(exchange_id).status is Status.RESPONDED, timeout_s=15,
            message="the requeued exchange is answered", interval_s=0.1, in_thread=True)
        assert await engine.resume() == [case_id]
        case = await engine.advance(case_id)
        assert case.status == "completed", case.steps
        assert case.steps["contributions"]["exchange_id"] == str(exchange_id)
        assert case.steps["contributions"]["answer"]["person"]["national_id"] == NATIONAL_ID
