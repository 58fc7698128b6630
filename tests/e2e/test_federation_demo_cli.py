"""`interop-hub demo --regions N` through the real command line: separate hubs, leaf-linked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.printed_case import printed_case
from tests.e2e.test_demo_cli import _nats_servers_using

CLI = str(Path(sys.executable).parent / "interop-hub")


def test_two_regions_query_each_other_and_verify_each_others_checkpoints(tmp_path: Path) -> None:
    """Each region runs its scenario and asks the other; per region data folder and line;
    south runs a relocation case with north's record and prints its timeline."""
    data = tmp_path / "data"
    env = {**os.environ, "HUB_LOG_FORMAT": "json"}
    result = subprocess.run(
        [CLI, "demo", "--regions", "2", "--data", str(data)],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-2:] == [  # south's case adds its steps' exchanges, north its answer
        "north: exchanges: 11 completed, 4 rejected, 0 failed",
        "south: exchanges: 15 completed, 4 rejected, 0 failed",
    ]
    assert "north asks south: clearance" in result.stdout
    assert "south asks north: history" in result.stdout
    across = next(x for x in lines if x.startswith("documents across regions: "))
    assert "south fetched it, checked its signed SHA-256" in across, across
    for region, peer in (("north", "south"), ("south", "north")):
        assert (data / region / "ledger.sqlite3").is_file()
        assert (data / region / "audit" / "peers" / f"{peer}.jsonl").is_file()
        assert (data / region / "audit" / "peers" / f"{peer}.key").is_file()
    _assert_the_case_ran(lines, data)
    assert _nats_servers_using(data) == []


def _assert_the_case_ran(lines: list[str], data: Path) -> None:
    """South's relocation case completed, its timeline printed (north's record recognised,
    more information asked and supplied, a delayed decision), exactly one step overdue."""
    case = printed_case(lines, "south", steps=4)
    assert case.head.endswith(
        "(relocation-demo@1.0) in south: completed, 1 step overdue (vehicle-re-registration)")
    assert set(case.steps) == {"contribution-record", "insurance-transfer", "tax-registration",
                               "vehicle-re-registration"}, case.steps
    assert all(" approved " in x for x in case.steps.values()), case.steps
    assert "recognised north's record" in case.steps["insurance-transfer"]
    stories = case.stories
    assert "more-information-needed (the lease is unsigned)" in stories["insurance-transfer"]
    assert "acknowledged SS-000002" in stories["insurance-transfer"]
    assert [s for s in stories if "OVERDUE" in stories[s]] == ["vehicle-re-registration"]
    assert case.transparency.startswith("http://127.0.0.1:")
    assert case.transparency.endswith("/transparency")
    assert case.overdue_in(data / "south") == ["vehicle-re-registration"]


def test_more_than_five_regions_is_refused(tmp_path: Path) -> None:
    """There are five region names; asking for six is a usage error before anything starts."""
    result = subprocess.run(
        [CLI, "demo", "--regions", "6", "--data", str(tmp_path / "d")],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert not (tmp_path / "d").exists()
