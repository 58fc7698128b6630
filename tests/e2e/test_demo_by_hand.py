"""`demo --keep-running` can be tried by hand: the curl lines it prints work as printed."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

CLI = str(Path(sys.executable).parent / "interop-hub")
STEPS = 16


def _run_printed_curl(line: str, cwd: Path) -> tuple[int, str]:
    """Run one printed curl command as a shell would split it; (HTTP status, body)."""
    argv = shlex.split(line)
    assert argv[0] == "curl", line
    result = subprocess.run([*argv, "-w", "\n%{http_code}", "--max-time", "30"], cwd=cwd,
                            capture_output=True, text=True, timeout=60)
    body, _, status = result.stdout.rpartition("\n")
    return int(status or 0), body


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs the curl command")
def test_keep_running_prints_curls_that_work_and_writes_private_token_files(
    tmp_path: Path,
) -> None:
    """The demo writes each client's token to a 0600 file under the data folder and prints a
    JSON and a SOAP curl; run from the demo's folder exactly as printed, both answer 200.
    The scenario table has one line per step, none wider than 100 columns."""
    env = {**os.environ, "HUB_LOG_FORMAT": "json"}
    proc = subprocess.Popen([CLI, "demo", "--data", "hub-data", "--keep-running"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    printed: list[str] = []
    try:
        deadline = time.monotonic() + 90
        for line in proc.stdout:  # type: ignore[union-attr]
            printed.append(line.rstrip("\n"))
            if line.startswith("running; press Ctrl-C") or time.monotonic() > deadline:
                break
        curls = [line.strip() for line in printed if line.strip().startswith("curl ")]
        assert len(curls) == 2, "\n".join(printed)
        json_curl, soap_curl = curls
        assert "/services/north/social-security/contribution-history" in json_curl
        assert "/soap" in soap_curl

        status, body = _run_printed_curl(json_curl, tmp_path)
        assert status == 200, body
        assert '"national_id":"19800101-1234"' in body
        status, body = _run_printed_curl(soap_curl, tmp_path)
        assert status == 200, body
        assert "<status>cleared</status>" in body

        token_files = sorted((tmp_path / "hub-data" / "demo-tokens").iterdir())
        assert [p.name for p in token_files] == [
            "north-social-security.header", "north-tax.header"]
        for path in token_files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            token = path.read_text().split()[-1]
            assert token.startswith("ihk_") and token not in "\n".join(printed)

        start = next(i for i, line in enumerate(printed) if line.lstrip().startswith("step "))
        rows = printed[start + 2:start + 2 + STEPS]
        assert all(len(line) <= 100 for line in printed[start - 1:start + 2 + STEPS])
        assert [r.split()[0] for r in rows[:3]] == ["history"] * 3
        assert printed[start + 2 + STEPS].strip() == "summary", "one line per step, no wrapping"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 130
    finally:
        proc.kill()
