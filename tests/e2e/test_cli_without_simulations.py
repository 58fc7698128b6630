"""A hub installed without the simulations package: it runs, and the commands that need
the emulated departments say how to get them.

The package is made absent in a child interpreter the documented way — ``None`` in
``sys.modules`` makes every import of it raise ``ModuleNotFoundError`` — so nothing in
the product decides whether it is there.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

_WITHOUT_SIMULATIONS = """
import sys
sys.modules["simulations"] = None  # as if the package were not installed
sys.argv = ["interop-hub", *sys.argv[1:]]
from hub.entrypoints.cli.main import main
main()
"""


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _WITHOUT_SIMULATIONS, *args],
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize(("args", "named"), [
    (["demo"], "demo"),
    (["demo", "--regions", "2"], "demo --regions"),
    (["simulate", "load", "--duration", "1"], "simulate load"),
])
def test_commands_that_drive_emulated_departments_name_the_missing_package(
    args: list[str], named: str, tmp_path: Path
) -> None:
    """Exit code 2 and one line naming the command, the package and how to install it."""
    result = _cli(*args, "--data", str(tmp_path))
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        f"error: `interop-hub {named}` needs the simulations package (the emulated "
        "departments): install interop-hub from its source tree (pip install -e .)")
    assert list(tmp_path.iterdir()) == []  # refused before anything was started or written


def test_the_rest_of_the_cli_runs_without_the_package() -> None:
    """Importing the CLI (every command module) and running a command needs no simulations."""
    result = _cli("contracts", "list")
    assert result.returncode == 0, result.stderr
    assert "social-security.contribution-history" in result.stdout
