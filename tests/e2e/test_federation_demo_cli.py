"""`interop-hub demo --regions N` through the real command line: separate hubs, leaf-linked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.test_demo_cli import _nats_servers_using

CLI = str(Path(sys.executable).parent / "interop-hub")


def test_two_regions_query_each_other_and_verify_each_others_checkpoints(tmp_path: Path) -> None:
    """Each region runs its scenario and asks the other; per region data folder and line."""
    data = tmp_path / "data"
    env = {**os.environ, "HUB_LOG_FORMAT": "json"}
    result = subprocess.run(
        [CLI, "demo", "--regions", "2", "--data", str(data)],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-2:] == [
        "north: exchanges: 10 completed, 4 rejected, 0 failed",
        "south: exchanges: 10 completed, 4 rejected, 0 failed",
    ]
    assert "north asks south: clearance" in result.stdout
    assert "south asks north: history" in result.stdout
    across = next(x for x in lines if x.startswith("documents across regions: "))
    assert "south fetched it, checked its signed SHA-256" in across, across
    for region, peer in (("north", "south"), ("south", "north")):
        assert (data / region / "ledger.sqlite3").is_file()
        assert (data / region / "audit" / "peers" / f"{peer}.jsonl").is_file()
        assert (data / region / "audit" / "peers" / f"{peer}.key").is_file()
    assert _nats_servers_using(data) == []


def test_more_than_five_regions_is_refused(tmp_path: Path) -> None:
    """There are five region names; asking for six is a usage error before anything starts."""
    result = subprocess.run(
        [CLI, "demo", "--regions", "6", "--data", str(tmp_path / "d")],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert not (tmp_path / "d").exists()
