"""Cases that survive a stopped process and concurrent decisions, over a real SQLite ledger.

- A process that stops after claiming a case's first steps (``StepRequested`` recorded)
  and before recording their exchanges: a new engine over the same data folder finds the
  case from the cases read model and sends each lost step exactly once.
- A process that stops between recording a decision and sending the step it makes ready:
  the step is sent on restart.
- Several rounds advancing one case at once (two engines over one ledger), and two
  departments deciding at the same moment the two prerequisites of one step: the step
  is sent once (its claim is saved under the case's expected version).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from uuid import UUID

from hub.adapters.store.ledger import Ledger
from hub.bootstrap.privacy import build_ledger
from hub.domain.case import Case
from hub.service_layer.cases.engine import RESUME_AFTER, step_id
from hub.service_layer.cases.running import StepAnswer, StepRequest
from hub.settings import HubSettings
from tests.integration.cases_fixtures import Clock, Departments, acknowledged, decided
from tests.integration.test_case_engine import (
    BUSINESS,
    FRIDAY,
    RELOCATION,
    engine_for,
    relocation_departments,
)


class StoppedDepartments(Departments):
    """Departments never reached: the process stops while the step is on its way."""

    def __init__(self) -> None:
        super().__init__({})
        self.reached = asyncio.Event()

    async def run(self, request: StepRequest) -> StepAnswer:
        self.received.append(request)
        self.reached.set()
        await asyncio.Event().wait()  # never answers: the task is cancelled (process stops)
        raise AssertionError("unreachable")


class SlowDepartments(Departments):
    """Departments that take a moment to answer, so concurrent rounds overlap."""

    async def run(self, request: StepRequest) -> StepAnswer:
        await asyncio.sleep(0.05)
        return await super().run(request)


def open_ledger(data: Path) -> Ledger:
    return build_ledger(HubSettings(data=data, region="south"))


async def test_a_case_stopped_between_its_claim_and_its_exchanges_is_resumed(tmp_path):
    clock = Clock(FRIDAY)
    ledger = open_ledger(tmp_path)
    stopped = StoppedDepartments()
    engine = engine_for(ledger, clock, stopped)
    submitting = asyncio.create_task(engine.submit(
        "relocation@1.0", "south/portal", RELOCATION, {"proof-of-address": "doc-1"}))
    await asyncio.wait_for(stopped.reached.wait(), timeout=10)
    submitting.cancel()  # the process stops: nothing after the claim is recorded
    await asyncio.gather(submitting, return_exceptions=True)
    ledger.close()

    ledger = open_ledger(tmp_path)  # the region restarts over the same data folder
    try:
        departments = relocation_departments()
        engine = engine_for(ledger, clock, departments)
        (row,) = engine.board.cases()
        assert row.step("contribution-record").state == "requested"
        assert row.step("contribution-record").exchange_id == ""
        # A claim younger than the grace may still be on its way: not sent again yet.
        assert await engine.resume() == []
        assert departments.received == []

        clock.move(seconds=RESUME_AFTER.total_seconds())
        assert await engine.resume() == [row.id]
        assert await engine.resume() == []  # nothing lost any more: idempotent
        sent = sorted(r.step for r in departments.received)
        # The lost claims went out once each, and the step waiting for the origin's
        # record followed once that record came back.
        assert sent == ["contribution-record", "insurance-transfer", "tax-registration"]
        row = engine.board.get(row.id)
        assert row is not None
        assert row.step("tax-registration").state == "acknowledged"
        assert row.step("tax-registration").exchange_id != ""
        assert row.step("insurance-transfer").state == "acknowledged"
    finally:
        ledger.close()


def record_decisions_only(ledger: Ledger, case_id: UUID, at: dt.datetime) -> None:
    """What ``decide`` writes first, without the advance that follows it: the state a
    process leaves when it stops between a decision and the next step."""
    case = ledger.repository.get(case_id)
    assert isinstance(case, Case)
    case.decide_step("tax-registration", "approved", "", "T-1", decided("approved", "T-1"), at)
    case.decide_step("business-registration", "approved", "", "B-1",
                     decided("approved", "B-1"), at)
    ledger.save(case)


def business_departments() -> SlowDepartments:
    return SlowDepartments({
        "north/tax/registration": acknowledged("T-1"),
        "north/business-register/registration": acknowledged("B-1"),
        "north/social-security/self-employed": acknowledged("S-1"),
    })


async def test_concurrent_rounds_send_the_next_step_once(tmp_path):
    """Both prerequisites approved, and three rounds (two engines over one ledger, as two
    workers) advance the case at once: the insurance step is claimed by one and sent once."""
    clock = Clock(FRIDAY)
    ledger = open_ledger(tmp_path)
    try:
        departments = business_departments()
        engine = engine_for(ledger, clock, departments)
        other = engine_for(ledger, clock, departments)
        case_id = await engine.submit("business-opening@1.0", "north/portal", BUSINESS,
                                      {"identity-document": "doc-9"})
        record_decisions_only(ledger, case_id, clock())
        await asyncio.gather(engine.advance(case_id), engine.advance(case_id),
                             other.advance(case_id))
        insurance = [r for r in departments.received if r.step == "self-employed-insurance"]
        assert len(insurance) == 1
        row = engine.board.get(case_id)
        assert row is not None and row.step("self-employed-insurance").state == "acknowledged"
    finally:
        ledger.close()


async def test_simultaneous_decisions_send_the_next_step_once(tmp_path):
    clock = Clock(FRIDAY)
    ledger = open_ledger(tmp_path)
    try:
        departments = business_departments()
        engine = engine_for(ledger, clock, departments)
        cases = [await engine.submit("business-opening@1.0", "north/portal", BUSINESS,
                                     {"identity-document": "doc-9"}) for _ in range(4)]
        for case_id in cases:
            await asyncio.gather(
                engine.decide(step_id(case_id, "tax-registration"), "north/tax",
                              decided("approved", "T-1")),
                engine.decide(step_id(case_id, "business-registration"),
                              "north/business-register", decided("approved", "B-1")))
        insurance = [r for r in departments.received if r.step == "self-employed-insurance"]
        assert sorted(r.case_id for r in insurance) == sorted(str(c) for c in cases)
    finally:
        ledger.close()


async def test_a_case_stopped_between_a_decision_and_its_next_step_is_resumed(tmp_path):
    clock = Clock(FRIDAY)
    ledger = open_ledger(tmp_path)
    departments = business_departments()
    case_id = await engine_for(ledger, clock, departments).submit(
        "business-opening@1.0", "north/portal", BUSINESS, {"identity-document": "doc-9"})
    record_decisions_only(ledger, case_id, clock())
    ledger.close()

    ledger = open_ledger(tmp_path)  # restarted over the same data folder
    try:
        engine = engine_for(ledger, clock, departments)
        assert await engine.resume() == [case_id]  # ready steps need no grace
        assert await engine.resume() == []
        insurance = [r for r in departments.received if r.step == "self-employed-insurance"]
        assert len(insurance) == 1 and insurance[0].document["tax_reference"] == "T-1"
    finally:
        ledger.close()
