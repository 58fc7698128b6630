"""The fault harness's crash points: when one kills the process, and when it carries on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simulations.crash_points import CrashPoint

_REACH_TWICE = """
import sys
from pathlib import Path
from simulations.crash_points import CrashPoint
crash = CrashPoint("before-ack", Path(sys.argv[1]), on_reach=2)
crash.reach()
print("survived the first", flush=True)
crash.reach()
print("survived the second", flush=True)
"""


def _reach_twice(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _REACH_TWICE, str(folder)],
                          capture_output=True, text=True, timeout=60, check=False)


def test_the_nth_reach_kills_the_process_once_per_folder(tmp_path: Path) -> None:
    """SIGKILL on the on_reach-th time, after the marker is written; a process armed the
    same way on the same folder (the restarted hub) carries on."""
    first = _reach_twice(tmp_path)
    assert first.returncode == -9, first.stderr
    assert "survived the first" in first.stdout and "survived the second" not in first.stdout
    assert (tmp_path / "crash-before-ack.fired").read_text().strip().isdigit()
    again = _reach_twice(tmp_path)
    assert again.returncode == 0, again.stderr
    assert "survived the second" in again.stdout


def test_unknown_points_and_counts_are_refused(tmp_path: Path) -> None:
    """A typo in the harness's arguments fails loudly instead of never crashing."""
    with pytest.raises(ValueError, match="unknown crash point 'after-lunch'"):
        CrashPoint("after-lunch", tmp_path)
    with pytest.raises(ValueError, match="on_reach must be at least 1"):
        CrashPoint("before-ack", tmp_path, on_reach=0)
