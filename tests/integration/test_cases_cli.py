"""``interop-hub cases list|show`` read a region's ledger: each step's state, holder and
due time, an overdue mark, and no personal data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from contracts import default_registry
from hub.adapters.readmodels.cases import CaseBoard
from hub.bootstrap.privacy import build_ledger
from hub.service_layer.cases.engine import CaseEngine, step_id
from hub.settings import HubSettings
from tests.integration.cases_fixtures import Clock, Recognising, calendars, decided, shipped
from tests.integration.test_case_engine import FRIDAY, RELOCATION, relocation_departments

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "from hub.entrypoints.cli.main import main; main()"]


def _cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HUB_LOG_FORMAT": "json"}
    env.pop("HUB_STORE", None)
    return subprocess.run([*CLI, "cases", *args, "--data", str(data)], capture_output=True,
                          text=True, timeout=60, env=env, check=False, cwd=ROOT)


async def test_list_and_show_a_refused_and_an_overdue_case(tmp_path: Path) -> None:
    ledger = build_ledger(HubSettings(data=tmp_path, region="south"))
    clock = Clock(FRIDAY)
    kind = shipped("relocation")
    engine = CaseEngine(ledger, default_registry(), {str(kind.id): kind}, calendars(),
                        relocation_departments(), clock, CaseBoard(ledger),
                        recognitions=Recognising())
    try:
        refused = await engine.submit("relocation@1.0", "south/portal", RELOCATION,
                                      {"proof-of-address": "doc-1"})
        await engine.decide(step_id(refused, "tax-registration"), "south/tax",
                            decided("refused", "TAX-1", "tax debts in the origin region"))
        late = await engine.submit("relocation@1.0", "south/portal", RELOCATION,
                                   {"proof-of-address": "doc-2"})
        clock.move(days=40)
        await engine.mark_overdue()
    finally:
        ledger.close()

    listing = _cli(tmp_path, "list")
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert [line.split()[:3] for line in lines] == [
        [str(refused), "relocation@1.0", "refused"], [str(late), "relocation@1.0", "open"]]
    assert "awaiting insurance-transfer, tax-registration" in lines[1]

    shown = _cli(tmp_path, "show", str(late))
    assert shown.returncode == 0, shown.stderr
    transfer = next(line for line in shown.stdout.splitlines()
                    if line.strip().startswith("insurance-transfer"))
    assert "acknowledged" in transfer and "south/social-security" in transfer
    assert transfer.endswith("OVERDUE")
    recognised = shown.stdout.split(transfer, 1)[1].splitlines()[1].strip()
    assert recognised.startswith("recognition: recognised north's record ")
    assert recognised.endswith("(the answer of contribution-record)")
    refused_shown = _cli(tmp_path, "show", str(refused)).stdout
    assert "reason: tax debts in the origin region" in refused_shown
    for personal in ("Rossi", "19800101-1234", "Via Roma"):
        assert personal not in listing.stdout + shown.stdout + refused_shown

    missing = _cli(tmp_path, "show", "not-a-case")
    assert missing.returncode == 2 and "is not a case id" in missing.stderr
