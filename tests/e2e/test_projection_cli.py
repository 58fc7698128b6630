"""``replay``, ``metrics`` and ``exchanges list`` filters on the data folder of one demo run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from hub.entrypoints.cli.main import app

SS = "north/social-security/contribution-history"
TAX = "north/tax/tax-clearance"
VEHICLES = "north/vehicles/registration"
# The CLI reads HUB_* settings from the environment: run it with none set, on the demo's folder.
CLEAN_ENV: dict[str, str | None] = {k: None for k in os.environ if k.startswith("HUB_")}


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A data folder written by one `interop-hub demo` run (about 9 s, its case included)."""
    data = tmp_path_factory.mktemp("demo") / "hub-data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    done = subprocess.run(
        [sys.executable, "-c", "from hub.entrypoints.cli.main import main; main()",
         "demo", "--data", str(data)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    yield data


def _cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=CLEAN_ENV)


def _json_lines(result: Result) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_replay_rebuilds_every_projection(demo_data: Path) -> None:
    """`replay` rebuilds both projections from the ledger and says how many events it read."""
    result = _cli("replay", "--data", str(demo_data))
    assert result.exit_code == 0, result.output
    found = re.search(r"replayed (\d+) events into exchange-index, service-metrics", result.stdout)
    assert found and int(found.group(1)) >= 40
    assert "projections.sqlite3" in result.stdout
    assert len(_json_lines(_cli("exchanges", "list", "--data", str(demo_data), "--json"))) == 21


def test_metrics_reports_the_demo_services(demo_data: Path) -> None:
    """`metrics` counts the demo's six answers and four refusals per service."""
    table = _cli("metrics", "--data", str(demo_data))
    assert table.exit_code == 0, table.output
    assert "social-security/contribution-history" in table.stdout
    assert "payload-too-large" in table.stdout
    stats = {s["service"]: s for s in _json_lines(_cli("metrics", "--data", str(demo_data),
                                                           "--json"))}  # fmt: skip
    assert (stats[SS]["volume"], stats[SS]["completed"], stats[SS]["rejected"]) == (10, 5, 5)
    assert stats[SS]["rejections"] == {"json-invalid": 1, "payload-too-large": 1,
                                       "access-denied": 1, "consent-required": 2}
    assert (stats[TAX]["volume"], stats[TAX]["completed"], stats[TAX]["rejected"]) == (5, 3, 2)
    assert stats[VEHICLES]["rejections"] == {"unknown-service": 1}
    assert stats[SS]["limit_s"] == 2.0 and stats[SS]["breaches"] == 0
    assert stats[SS]["p50_ms"] is not None and stats[SS]["p95_ms"] >= stats[SS]["p50_ms"]


def test_exchanges_list_filters_by_outcome_and_department(demo_data: Path) -> None:
    """`exchanges list --outcome rejected` shows the eight refusals; --department narrows."""
    rejected = _json_lines(
        _cli("exchanges", "list", "--data", str(demo_data), "--outcome", "rejected", "--json")
    )
    assert [r["status"] for r in rejected] == ["rejected"] * 8
    assert {r["error"].split(":")[0] for r in rejected} == {
        "json-invalid", "schema-violation", "unknown-service", "payload-too-large",
        "access-denied", "purpose-not-granted", "consent-required",
    }  # fmt: skip
    table = _cli("exchanges", "list", "--data", str(demo_data), "--outcome", "rejected")
    assert table.exit_code == 0 and "8 exchanges" in table.stdout
    tax = _json_lines(_cli("exchanges", "list", "--data", str(demo_data), "--department", "tax",
                           "--json"))  # fmt: skip
    assert [r["service"] for r in tax].count(TAX) == 5 and len(tax) == 6
    assert {r["service"] for r in tax} == {TAX, "north/tax/registration"}  # the case's step
    bad = _cli("exchanges", "list", "--data", str(demo_data), "--outcome", "lost")
    assert bad.exit_code == 2 and "unknown outcome" in bad.output


def test_replay_until_builds_a_separate_historical_view(demo_data: Path) -> None:
    """`replay --until T` writes the state as of T to its own file; `--as-of T` reads it."""
    rows = _json_lines(_cli("exchanges", "list", "--data", str(demo_data), "--json"))
    moment = rows[3]["received_at"]  # the fourth exchange had just arrived
    result = _cli("replay", "--data", str(demo_data), "--until", moment)
    assert result.exit_code == 0, result.output
    assert "historical view as of" in result.stdout
    assert (demo_data / "as-of").is_dir()
    past = _json_lines(_cli("exchanges", "list", "--data", str(demo_data), "--as-of", moment,
                            "--json"))  # fmt: skip
    assert [r["id"] for r in past] == [r["id"] for r in rows[:4]]
    assert past[3]["status"] == "received"  # its later steps are after T
    stats = _json_lines(_cli("metrics", "--data", str(demo_data), "--as-of", moment, "--json"))
    assert sum(s["volume"] for s in stats) == 4
    assert len(_json_lines(_cli("exchanges", "list", "--data", str(demo_data), "--json"))) == 21


def test_unknown_projection_and_missing_view_are_refused(demo_data: Path) -> None:
    """A bad --projection name or an as-of view never built is a usage error naming the option."""
    result = _cli("replay", "--data", str(demo_data), "--projection", "nope")
    assert result.exit_code == 2 and "unknown projection" in result.output
    missing = _cli("metrics", "--data", str(demo_data), "--as-of", "2001-01-01T00:00:00Z")
    assert missing.exit_code == 2 and "replay --until" in missing.output
