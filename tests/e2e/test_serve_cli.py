"""``interop-hub serve``: the production entry point runs a services file until SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.e2e.test_demo_cli import _nats_servers_using

CLI = str(Path(sys.executable).parent / "interop-hub")
ROOT = Path(__file__).resolve().parents[2]


def _services_file(folder: Path) -> Path:
    """One JSON-mapped service whose provider is never called by this test."""
    mapping = ROOT / "simulations" / "mappings" / "tax.tax-clearance.toml"
    path = folder / "services.toml"
    path.write_text(
        "[[service]]\n"
        'id = "north/tax/tax-clearance"\n'
        'request = "tax.clearance-query@1.0"\n'
        'response = "tax.clearance@1.0"\n'
        'operation = "TaxClearance"\n'
        'adapter = "json-mapping"\n'
        'endpoint = "http://127.0.0.1:9"\n'
        f'mapping = "{mapping}"\n'
    )
    return path


def _wait_for_line(process: subprocess.Popen[str], prefix: str, deadline: float) -> str:
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if line.startswith(prefix):
            return line
    raise AssertionError(f"no line starting with {prefix!r} before the deadline")


def test_serve_runs_the_services_file_and_stops_on_sigterm(tmp_path: Path) -> None:
    """It prints where it listens, answers /health, and SIGTERM stops it and its nats-server."""
    data = tmp_path / "data"
    env = {**os.environ, "HUB_LOG_FORMAT": "json", "HUB_LOG_LEVEL": "warning"}
    process = subprocess.Popen(
        [CLI, "serve", str(_services_file(tmp_path)), "--data", str(data)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
    )
    try:
        line = _wait_for_line(process, "hub of region north: ", time.monotonic() + 60)
        url = line.split()[4]
        service = _wait_for_line(process, "  service ", time.monotonic() + 10)
        assert "north/tax/tax-clearance" in service
        health = httpx.get(f"{url}/health", timeout=10)
        assert health.status_code == 200
        assert _nats_servers_using(data)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(60)
    assert code == 130
    assert _nats_servers_using(data) == []
