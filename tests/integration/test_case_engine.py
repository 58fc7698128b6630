"""Cases run end to end over a real SQLite ledger: the shipped case types, decisions that
come days later, refusal, more information needed, and overdue steps by a moved clock.

The departments are a step runner answering as each test says (the exchange path itself
is tested on its own); the ledger, the subject cipher and the cases read model are real.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from contracts import default_registry
from contracts.errors import ContractError
from hub.adapters.readmodels.cases import CaseBoard
from hub.adapters.store.ledger import Ledger
from hub.bootstrap.privacy import build_ledger
from hub.bootstrap.supervisor import TaskSupervisor
from hub.domain.case import Case
from hub.domain.case_states import CaseStateError
from hub.service_layer.cases.engine import CaseEngine, step_id
from hub.service_layer.cases.errors import DocumentsMissingError, StepNotYoursError
from hub.service_layer.cases.overdue import watch_overdue
from hub.settings import HubSettings
from tests.integration.cases_fixtures import (
    NATIONAL_ID,
    Clock,
    Departments,
    Recognising,
    acknowledged,
    calendars,
    decided,
    shipped,
)
from tests.waiting import wait_until_async

# A Friday afternoon in December: weekends and south's 8 December holiday fall inside
# the time limits.
FRIDAY = dt.datetime(2026, 12, 4, 15, 0, tzinfo=dt.UTC)

RELOCATION = {
    "national_id": NATIONAL_ID, "family_name": "Rossi", "given_names": "Maria Elena",
    "origin_region": "north", "destination_region": "south",
    "new_address": "Via Roma 1, Southtown", "move_date": "2026-12-01",
    "insured_since": "2010-01-01", "vehicle_plate": "AB123CD",
}
BUSINESS = {
    "national_id": NATIONAL_ID, "family_name": "Rossi", "given_names": "Maria Elena",
    "trade_name": "Rossi Bakery", "activity_code": "10.71",
    "business_address": "Main Street 5, Northtown", "starts_on": "2027-01-04",
}


def contribution_history(request):  # type: ignore[no-untyped-def]
    return {"person": {"national_id": request.document["national_id"], "family_name": "Rossi",
                       "given_names": "Maria Elena", "date_of_birth": "1980-01-01"},
            "periods": [], "as_of": "2026-11-30"}


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    ledger = build_ledger(HubSettings(data=tmp_path, region="south"))
    yield ledger
    ledger.close()


@pytest.fixture
def clock() -> Clock:
    return Clock(FRIDAY)


def engine_for(ledger: Ledger, clock: Clock, departments: Departments,
               recognising: Recognising | None = None) -> CaseEngine:
    kinds = {str(k.id): k for k in (shipped("relocation"), shipped("business-opening"))}
    return CaseEngine(ledger, default_registry(), kinds, calendars(), departments, clock,
                      CaseBoard(ledger), recognitions=recognising or Recognising())


def relocation_departments() -> Departments:
    return Departments({
        "north/social-security/contribution-history": contribution_history,
        "south/social-security/insurance-transfer": acknowledged("SS-1"),
        "south/tax/registration": acknowledged("TAX-7"),
        "south/vehicles/re-registration": acknowledged("VEH-3"),
    })


async def test_relocation_runs_end_to_end_with_decisions_days_later(ledger, clock):
    """Independent steps go out at once; the transfer waits for the origin's record and is
    sent its date; the vehicle step waits for the tax reference; decisions sent later by
    each department complete the case and issue the result."""
    departments = relocation_departments()
    engine = engine_for(ledger, clock, departments)
    case_id = await engine.submit("relocation@1.0", "south/portal", RELOCATION,
                                  {"proof-of-address": "doc-1"})
    transfer = departments.sent_to("south/social-security/insurance-transfer")
    assert transfer == [{"national_id": NATIONAL_ID, "origin_region": "north",
                         "transfer_on": "2026-12-01", "origin_record_as_of": "2026-11-30",
                         "proof_of_address": "doc-1"}]
    assert departments.sent_to("south/vehicles/re-registration") == []
    row = engine.board.get(case_id)
    assert row is not None and row.step("tax-registration").state == "acknowledged"
    assert row.step("tax-registration").holder == "south/tax"
    assert row.step("vehicle-re-registration").state == "waiting"
    # 5 working days from Friday 4 Dec in south: 7, 9, 10, 11, 14 (8 Dec is a holiday).
    assert row.step("tax-registration").due_at == dt.datetime(2026, 12, 14, 15, tzinfo=dt.UTC)

    clock.move(days=3)
    await engine.decide(step_id(case_id, "tax-registration"), "south/tax",
                        decided("approved", "TAX-7"))
    assert departments.sent_to("south/vehicles/re-registration")[0]["tax_reference"] == "TAX-7"
    clock.move(days=2)
    await engine.decide(step_id(case_id, "insurance-transfer"), "south/social-security",
                        decided("approved", "SS-1"))
    case = await engine.decide(step_id(case_id, "vehicle-re-registration"), "south/vehicles",
                               decided("approved", "VEH-3"))
    assert case.status == "completed"
    # A department that sends its decision again (it did not see our answer) is answered
    # the same, and nothing more is recorded.
    again = await engine.decide(step_id(case_id, "vehicle-re-registration"), "south/vehicles",
                                decided("approved", "VEH-3"))
    assert again.version == case.version
    with pytest.raises(CaseStateError):  # a different decision on a decided step is not
        await engine.decide(step_id(case_id, "vehicle-re-registration"), "south/vehicles",
                            decided("refused", "VEH-3", "changed our mind"))
    assert case.result is not None
    assert {r["step"]: r["reference"] for r in case.result["references"]} == {
        "insurance-transfer": "SS-1", "tax-registration": "TAX-7",
        "vehicle-re-registration": "VEH-3"}
    names = [type(e).__name__ for e in ledger.events.get(case_id)]
    assert names[0] == "Submitted" and names[-2:] == ["Completed", "ResultIssued"]
    assert engine.board.get(case_id).status == "completed"  # type: ignore[union-attr]


async def test_business_opening_runs_end_to_end(ledger, clock):
    """The insurance step waits for both registrations and is sent both references."""
    departments = Departments({
        "north/tax/registration": acknowledged("T-1"),
        "north/business-register/registration": acknowledged("B-1"),
        "north/social-security/self-employed": acknowledged("S-1"),
    })
    engine = engine_for(ledger, clock, departments)
    case_id = await engine.submit("business-opening@1.0", "north/portal", BUSINESS,
                                  {"identity-document": "doc-9"})
    await engine.decide(step_id(case_id, "tax-registration"), "north/tax",
                        decided("approved", "T-1"))
    assert departments.sent_to("north/social-security/self-employed") == []
    await engine.decide(step_id(case_id, "business-registration"), "north/business-register",
                        decided("approved", "B-1"))
    sent = departments.sent_to("north/social-security/self-employed")
    assert sent[0]["business_reference"] == "B-1" and sent[0]["tax_reference"] == "T-1"
    case = await engine.decide(step_id(case_id, "self-employed-insurance"),
                               "north/social-security", decided("approved", "S-1"))
    assert case.status == "completed" and case.result is not None


async def test_a_refused_step_refuses_the_case_with_its_reason(ledger, clock):
    engine = engine_for(ledger, clock, relocation_departments())
    case_id = await engine.submit("relocation@1.0", "south/portal", RELOCATION,
                                  {"proof-of-address": "doc-1"})
    case = await engine.decide(step_id(case_id, "insurance-transfer"), "south/social-security",
                               decided("refused", "SS-1", "insured elsewhere since 2025"))
    assert case.status == "refused" and case.reason == "insured elsewhere since 2025"
    row = engine.board.get(case_id)
    assert row is not None and row.status == "refused"
    assert row.step("insurance-transfer").reason == "insured elsewhere since 2025"


async def test_more_information_waits_for_the_applicant_then_runs_again(ledger, clock):
    departments = relocation_departments()
    engine = engine_for(ledger, clock, departments)
    case_id = await engine.submit("relocation@1.0", "south/portal", RELOCATION,
                                  {"proof-of-address": "doc-1"})
    await engine.decide(step_id(case_id, "insurance-transfer"), "south/social-security",
                        decided("more-information-needed", "SS-1", "the lease is unsigned"))
    row = engine.board.get(case_id)
    assert row is not None and row.status == "open"
    assert row.step("insurance-transfer").holder == "applicant"
    await engine.supply_information(case_id, {"proof-of-address": "doc-2"})
    transfers = departments.sent_to("south/social-security/insurance-transfer")
    assert [t["proof_of_address"] for t in transfers] == ["doc-1", "doc-2"]
    row = engine.board.get(case_id)
    assert row is not None and row.step("insurance-transfer").state == "acknowledged"


async def test_an_overdue_step_is_marked_once(ledger, clock):
    """Past its due time an awaited step is marked overdue; checking again marks nothing,
    and a step decided in time is never marked."""
    engine = engine_for(ledger, clock, relocation_departments())
    case_id = await engine.submit("relocation@1.0", "south/portal", RELOCATION,
                                  {"proof-of-address": "doc-1"})
    await engine.decide(step_id(case_id, "tax-registration"), "south/tax",
                        decided("approved", "TAX-7"))
    clock.move(days=9)  # Sunday 13 Dec: tax step decided; nothing else due yet
    assert await engine.mark_overdue() == []
    clock.move(days=10)  # Wednesday 23 Dec: both 10-working-day steps are past due
    marked = await engine.mark_overdue()
    assert sorted(marked) == [(case_id, "insurance-transfer"),
                              (case_id, "vehicle-re-registration")]
    assert await engine.mark_overdue() == []
    overdue = [e for e in ledger.events.get(case_id) if isinstance(e, Case.StepOverdue)]
    assert sorted(e.step for e in overdue) == ["insurance-transfer", "vehicle-re-registration"]
    # Sent on Friday 4 Dec, 10 working days in south (8 Dec a holiday): Monday 21 Dec.
    assert {e.due_at for e in overdue} == {dt.datetime(2026, 12, 21, 15, tzinfo=dt.UTC)}
    row = engine.board.get(case_id)
    assert row is not None and row.step("insurance-transfer").overdue


async def test_bad_submissions_and_foreign_decisions_are_refused_clearly(ledger, clock):
    engine = engine_for(ledger, clock, relocation_departments())
    with pytest.raises(ContractError) as bad:
        await engine.submit("relocation@1.0", "south/portal",
                            {**RELOCATION, "move_date": "soon"}, {"proof-of-address": "d"})
    assert [issue.path for issue in bad.value.issues] == ["/move_date"]
    with pytest.raises(DocumentsMissingError, match="proof-of-address"):
        await engine.submit("relocation@1.0", "south/portal", RELOCATION, {})
    case_id = await engine.submit("relocation@1.0", "south/portal", RELOCATION,
                                  {"proof-of-address": "doc-1"})
    with pytest.raises(StepNotYoursError):
        await engine.decide(step_id(case_id, "tax-registration"), "south/vehicles",
                            decided("approved", "X"))


async def test_the_overdue_duty_marks_due_steps_and_dies_visibly(ledger, clock, tmp_path):
    """Run as a supervised task, the duty marks a step once its time has come; a duty that
    fails is reported by the supervisor (what /health shows)."""
    engine = engine_for(ledger, clock, relocation_departments())
    case_id = await engine.submit("relocation@1.0", "south/portal", RELOCATION,
                                  {"proof-of-address": "doc-1"})
    supervisor = TaskSupervisor(asyncio.Event())
    supervisor.start(watch_overdue(engine, supervisor.stopping, every_s=0.05), name="overdue")
    clock.move(days=30)
    await wait_until_async(lambda: engine.board.get(case_id).step(  # type: ignore[union-attr]
        "insurance-transfer").overdue, timeout_s=10, in_thread=True)
    await supervisor.stop()
    assert supervisor.dead == []

    other = build_ledger(HubSettings(data=tmp_path / "other", region="south"))
    lost = engine_for(other, clock, relocation_departments())
    other.close()  # its store gone: the first round fails, and the supervisor knows
    broken = TaskSupervisor(asyncio.Event())
    broken.start(watch_overdue(lost, broken.stopping, every_s=0.05), name="overdue")
    await wait_until_async(lambda: bool(broken.dead), timeout_s=10)
    assert broken.dead[0].name == "overdue"
    await broken.stop()


async def test_a_withdrawn_case_takes_no_more_decisions(ledger, clock):
    engine = engine_for(ledger, clock, relocation_departments())
    case_id = await engine.submit("relocation@1.0", "south/portal", RELOCATION,
                                  {"proof-of-address": "doc-1"})
    case = await engine.withdraw(case_id, "staying after all")
    assert case.status == "withdrawn"
    with pytest.raises(CaseStateError, match="withdrawn"):
        await engine.decide(step_id(case_id, "tax-registration"), "south/tax",
                            decided("approved", "TAX-7"))
    clock.move(days=60)
    assert await engine.mark_overdue() == []  # a closed case's steps never run overdue
    row = engine.board.get(case_id)
    assert row is not None and row.status == "withdrawn" and row.reason == "staying after all"
    assert row.step("tax-registration").state == "acknowledged"
    assert [s.holder for s in row.steps] == ["", "", "", ""]  # nobody owes anything now


async def test_the_application_and_answers_are_sealed_in_the_store(ledger, clock):
    """Stored case events carry no personal value in the clear: the application, the step
    answers and the result are sealed under the applicant's key like an exchange's body."""
    engine = engine_for(ledger, clock, relocation_departments())
    case_id = await engine.submit("relocation@1.0", "south/portal", RELOCATION,
                                  {"proof-of-address": "doc-1"})
    stored = [n for n in ledger.recorder.select_notifications(start=1, limit=1000)
              if n.originator_id == case_id]
    assert {n.topic for n in stored} >= {Case.Submitted.TOPIC, Case.StepDecided.TOPIC}
    for notification in stored:
        for personal in (b"Rossi", b"Via Roma", NATIONAL_ID.encode(), b"Maria Elena"):
            assert personal not in notification.state, notification.topic
    case = await engine.advance(case_id)
    assert case.application["family_name"] == "Rossi"  # opened with the subject's key
