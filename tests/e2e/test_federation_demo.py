"""`interop-hub demo --regions 3`: records recognised, refused and revoked across regions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.test_demo_cli import _nats_servers_using

CLI = str(Path(sys.executable).parent / "interop-hub")
REGIONS = ("north", "south", "east")


def test_three_regions_recognise_each_others_records_and_reconcile_clean(tmp_path: Path) -> None:
    """The scenarios meet every expectation, each region counts its decisions, pairs agree."""
    data = tmp_path / "data"
    env = {**os.environ, "HUB_LOG_FORMAT": "json", "COLUMNS": "200"}
    result = subprocess.run(
        [CLI, "demo", "--regions", "3", "--data", str(data)],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for expected in (
        "citizen moves north→south: contribution history in south: recognised (ok)",
        "business licence (north/tax clearance) in east: recognised (ok)",
        "revocation: north revokes, south withdraws: recognised, then withdrawn (ok)",
        "outside the agreement: person.identity@1.0 in south: refused (out-of-agreement) (ok)",
        "north: recognised 0, refused 0",
        "south: recognised 2, refused 1",
        "east: recognised 1, refused 0",
    ):
        assert expected in lines, result.stdout
    assert any(line.startswith("driving-licence-style check") for line in lines)
    for left, right in (("north", "south"), ("north", "east"), ("south", "east")):
        assert (f"reconcile {left}↔{right}: 0 missing, 0 duplicated, 0 divergent, 0 pending"
                in lines), result.stdout
    for region in REGIONS:
        assert (data / region / "ledger.sqlite3").is_file()
        assert (data / region / "keys" / "region-keys.json").is_file()
        assert (data / region / "keys" / "trust-list.jws").is_file()
    assert sorted(p.name for p in data.iterdir() if p.is_dir()) == sorted(REGIONS)
    assert _nats_servers_using(data) == []
