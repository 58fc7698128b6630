"""On SQLite, ``interop-hub serve`` is one process per data folder: a second is refused."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from hub.adapters.store.writer_lock import sole_writer
from tests.e2e.test_serve_cli import CLI, _services_file


def _serve(tmp_path: Path, data: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUB_LOG_FORMAT": "json", "HUB_LOG_LEVEL": "warning"}
    env.pop("HUB_STORE", None)
    env.pop("HUB_NATS_URL", None)
    return subprocess.run(
        [CLI, "serve", str(_services_file(tmp_path)), "--data", str(data), *extra],
        capture_output=True, text=True, env=env, timeout=60, check=False)


def test_second_hub_on_one_sqlite_store_is_refused_naming_the_holder(tmp_path: Path) -> None:
    """While a hub process holds the data folder (here: this test process, through the same
    lock the hub takes), `serve` on it exits at once with status 2 and an error that names
    the holder's pid and the way to run several processes (--workers)."""
    data = tmp_path / "data"
    with sole_writer(data):
        result = _serve(tmp_path, data)
    assert result.returncode == 2, result
    assert f"pid {os.getpid()}" in result.stderr
    assert "one hub per SQLite store" in result.stderr
    assert "--workers" in result.stderr


def test_serve_help_says_what_sqlite_does_with_a_second_process(tmp_path: Path) -> None:
    """The --workers help tells the operator which stores allow several processes."""
    result = subprocess.run([CLI, "serve", "--help"], capture_output=True, text=True,
                            timeout=60, check=False, env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 0
    assert "--workers" in result.stdout
    assert "SQLite: one hub (or pool) per data folder" in result.stdout
