"""The engine holds a step that recognises another region's record until this region's
recognition accepts it: the relocation's insurance transfer, in process (real SQLite
ledger, the engine's ports answered by the test). Across two real regions, with the
federation deciding: tests/integration/test_case_recognition_regions.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.adapters.store.ledger import Ledger
from hub.bootstrap.privacy import build_ledger
from hub.service_layer.cases.engine import step_id
from hub.service_layer.federation.answers import answer_record_id
from hub.settings import HubSettings
from tests.integration.cases_fixtures import Clock, Recognising, decided
from tests.integration.test_case_engine import (
    FRIDAY,
    RELOCATION,
    engine_for,
    relocation_departments,
)

TRANSFER = "south/social-security/insurance-transfer"


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    ledger = build_ledger(HubSettings(data=tmp_path, region="south"))
    yield ledger
    ledger.close()


async def test_the_transfer_waits_for_the_recognition_of_the_origin_record(ledger):
    """The origin's step is asked attested; the transfer is sent only after the record of
    its answer (named from south's exchange id) is recognised, which the case records."""
    departments, recognising = relocation_departments(), Recognising()
    engine = engine_for(ledger, Clock(FRIDAY), departments, recognising)
    case_id = await engine.submit("relocation@1.0", "south/portal", RELOCATION,
                                  {"proof-of-address": "doc-1"})
    asked = {r.step: r.attested for r in departments.received}
    assert asked == {"contribution-record": True, "insurance-transfer": False,
                     "tax-registration": False}
    case = await engine.advance(case_id)
    (question,) = recognising.asked
    origin_exchange = case.steps["contribution-record"]["exchange_id"]
    assert (question.step, question.origin, question.exchange_id) == (
        "contribution-record", "north", origin_exchange)
    assert question.answer == case.steps["contribution-record"]["answer"]
    record_id = str(answer_record_id("south", origin_exchange))
    assert case.steps["insurance-transfer"]["recognition"] == {
        "of": "contribution-record", "issuer": "north", "record_id": record_id,
        "outcome": "recognised", "code": "", "reason": ""}
    names = [type(e).__name__ for e in ledger.events.get(case_id)]
    assert names.index("StepRecognised") < names.index("StepSent", names.index("StepRecognised"))
    recognised = next(e for e in ledger.events.get(case_id)
                      if type(e).__name__ == "StepRecognised")
    assert (recognised.kid, recognised.agreement_id) == ("kid-1", "agreement-1")
    row = engine.board.get(case_id)
    assert row is not None
    assert row.step("insurance-transfer").recognition == case.steps["insurance-transfer"][
        "recognition"]


async def test_a_refused_recognition_leaves_the_transfer_unsent_with_the_reason(ledger):
    """Refused (here: the origin's key is not trusted): the transfer department receives
    nothing, the step fails with the named reason, the case stays open; a retry asks
    again and, once recognised, sends it."""
    departments, recognising = relocation_departments(), Recognising(code="unknown-key")
    engine = engine_for(ledger, Clock(FRIDAY), departments, recognising)
    case_id = await engine.submit("relocation@1.0", "south/portal", RELOCATION,
                                  {"proof-of-address": "doc-1"})
    assert departments.sent_to(TRANSFER) == []
    row = engine.board.get(case_id)
    assert row is not None and row.status == "open"
    transfer = row.step("insurance-transfer")
    assert transfer.state == "failed" and transfer.exchange_id == ""
    assert transfer.reason == "recognition-refused: unknown-key: the test refuses (unknown-key)"
    assert transfer.recognition is not None and transfer.recognition["outcome"] == "refused"
    assert transfer.recognition["code"] == "unknown-key"
    names = [type(e).__name__ for e in ledger.events.get(case_id)]
    assert "StepRecognitionRefused" in names
    # Nothing resumes it by itself, and a department cannot be sent it by a resume round.
    await engine.resume()
    assert departments.sent_to(TRANSFER) == []

    recognising.code = ""
    case = await engine.retry(step_id(case_id, "insurance-transfer"))
    assert len(departments.sent_to(TRANSFER)) == 1
    assert case.steps["insurance-transfer"]["state"] == "acknowledged"
    assert case.steps["insurance-transfer"]["recognition"]["outcome"] == "recognised"
    case = await engine.decide(step_id(case_id, "insurance-transfer"),
                               "south/social-security", decided("approved", "SS-1"))
    assert case.steps["insurance-transfer"]["state"] == "approved"
