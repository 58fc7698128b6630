"""`interop-hub simulate load` through the real command line: two leaf-linked regions."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from hub.bootstrap.privacy import build_ledger
from hub.service_layer.exchanges.views import summaries, totals
from hub.settings import HubSettings
from tests.e2e.test_demo_cli import _nats_servers_using

CLI = str(Path(sys.executable).parent / "interop-hub")
LINE = re.compile(r"^(?P<kind>[a-z-]+): (?P<done>\d+) completed, (?P<errors>\d+) errors, "
                  r"[\d.]+/s, p50 [\d.]+ ms, p95 [\d.]+ ms, p99 [\d.]+ ms$")


def _completed_queries(data: Path) -> int:
    ledger = build_ledger(HubSettings(data=data))
    try:
        rows = [r for r in summaries(ledger) if r.ingress in ("soap", "json")]
        return totals(rows).completed
    finally:
        ledger.close()


def test_mixed_load_on_two_regions_completes_every_kind_without_errors(tmp_path: Path) -> None:
    """A few seconds at a low rate: every kind completes, none fails, south recognises north's
    records, and the ledgers hold the completed queries."""
    data = tmp_path / "data"
    env = {**os.environ, "HUB_LOG_FORMAT": "json"}
    result = subprocess.run(
        [CLI, "simulate", "load", "--regions", "2", "--departments", "3", "--rate", "16",
         "--duration", "3", "--data", str(data)],
        capture_output=True, text=True, timeout=180, env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    found = {m["kind"]: m for line in result.stdout.splitlines() if (m := LINE.match(line))}
    assert set(found) == {"soap-query", "json-query", "record", "recognition", "total"}, \
        result.stdout
    for kind, match in found.items():
        assert int(match["done"]) > 0, kind
        assert int(match["errors"]) == 0, kind
    assert int(found["total"]["done"]) == 48
    recognitions = int(found["recognition"]["done"])
    assert f"recognitions: {recognitions} of {recognitions} issued recognised by peers" \
        in result.stdout
    queries = int(found["soap-query"]["done"]) + int(found["json-query"]["done"])
    assert sum(_completed_queries(data / r) for r in ("north", "south")) == queries
    assert _nats_servers_using(data) == []


def test_load_refuses_a_single_department(tmp_path: Path) -> None:
    """A region needs one SOAP and one JSON department: asking for one is a usage error."""
    result = subprocess.run(
        [CLI, "simulate", "load", "--departments", "1", "--data", str(tmp_path / "d")],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert not (tmp_path / "d").exists()
