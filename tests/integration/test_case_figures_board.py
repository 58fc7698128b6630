"""The published figures' counts that the cases read model keeps as case events arrive
equal the counts taken afresh of its rows, at every moment, over a real SQLite ledger and
the real engine; a new read model (a replay of the ledger) counts the same."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest

from hub.adapters.readmodels.cases import CaseBoard
from hub.adapters.store.ledger import Ledger
from hub.bootstrap.privacy import build_ledger
from hub.entrypoints.http.transparency import limits_of
from hub.service_layer.cases.engine import CaseEngine, step_id
from hub.service_layer.cases.figures import overdue_counts, published_rows, tally
from hub.settings import HubSettings
from tests.case_counts import open_by_scan
from tests.integration.cases_fixtures import Clock, decided
from tests.integration.test_case_engine import (
    FRIDAY,
    RELOCATION,
    engine_for,
    relocation_departments,
)

DECIDERS = {"insurance-transfer": "south/social-security", "tax-registration": "south/tax",
            "vehicle-re-registration": "south/vehicles"}


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    ledger = build_ledger(HubSettings(data=tmp_path, region="south"))
    yield ledger
    ledger.close()


def _agree(engine: CaseEngine, board: CaseBoard) -> None:
    cases, services = limits_of(engine.case_types)
    now = engine.clock()
    kept = board.figures(cases, services, now, 1)
    assert kept == tally(board.cases(), cases, services, now, 1)
    assert published_rows(kept)  # there is something to compare
    assert overdue_counts(board.open_counts(now), cases, services) == \
        open_by_scan(board.cases(), cases, services, now)


async def _decide(engine: CaseEngine, case_id: UUID, step: str, outcome: str) -> None:
    reason = "" if outcome == "approved" else "not this time"
    await engine.decide(step_id(case_id, step), DECIDERS[step],
                        decided(outcome, f"REF-{step}", reason))


async def test_kept_counts_follow_every_change_and_survive_a_replay(ledger: Ledger) -> None:
    clock = Clock(FRIDAY)
    engine = engine_for(ledger, clock, relocation_departments())
    ids = []
    for n in range(6):
        ids.append(await engine.submit("relocation@1.0", "south/portal", RELOCATION,
                                       {"proof-of-address": f"doc-{n}"}))
        clock.move(hours=5)
    _agree(engine, engine.board)
    for case_id in ids[:4]:
        clock.move(days=1)
        await _decide(engine, case_id, "tax-registration", "approved")
        _agree(engine, engine.board)
    for case_id in ids[:3]:
        clock.move(days=2)
        await _decide(engine, case_id, "insurance-transfer", "approved")
        await _decide(engine, case_id, "vehicle-re-registration", "approved")
    await _decide(engine, ids[3], "insurance-transfer", "refused")
    await _decide(engine, ids[4], "insurance-transfer", "more-information-needed")
    _agree(engine, engine.board)
    await engine.supply_information(ids[4], {"proof-of-address": "doc-again"})
    await engine.withdraw(ids[5], "staying after all")
    for days in (0, 10, 30):  # open steps and cases pass their limits
        clock.move(days=days)
        await engine.mark_overdue()
        _agree(engine, engine.board)
    replayed = CaseBoard(ledger)
    cases, services = limits_of(engine.case_types)
    assert replayed.figures(cases, services, clock(), 1) == \
        engine.board.figures(cases, services, clock(), 1)
