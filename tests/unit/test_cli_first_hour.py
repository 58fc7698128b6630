"""Commands a newcomer runs in the first hour say what they did and what to do next."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.entrypoints.cli.main import app

runner = CliRunner()


def _run(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_serve_help_shows_the_table_names_literally() -> None:
    """The services argument's help names `[[service]]` and `[[subscription]]`, which rich
    markup would otherwise swallow as tags."""
    code, output = _run("serve", "--help")
    assert code == 0
    assert "[[service]]" in output and "[[subscription]]" in output


def test_a_pool_worker_with_half_its_inheritance_is_refused(tmp_path: Path) -> None:
    """`--listen-fd` without `--share-fd` (or the reverse) would serve on a port of its own
    beside the pool: refused, naming both options."""
    services = tmp_path / "services.toml"
    services.write_text("")
    for option in ("--listen-fd", "--share-fd"):
        code, output = _run("serve", services, "--data", tmp_path / "data", option, "3")
        assert code == 2, output
        assert "needs both --listen-fd and --share-fd" in output


def test_credentials_issue_keeps_the_seed_under_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A department's NATS seed goes to DATA/nats-seeds/ (mode 0600), never into the folder
    the command is run from; --seed-out still chooses another place."""
    cwd, data = tmp_path / "cwd", tmp_path / "data"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    code, output = _run("credentials", "issue", "north/tax", "--data", data)
    assert code == 0, output
    assert list(cwd.iterdir()) == []
    [seed] = (data / "nats-seeds").iterdir()
    assert seed.name.startswith("north-tax-") and seed.suffix == ".nk"
    assert stat.S_IMODE(seed.stat().st_mode) == 0o600
    assert stat.S_IMODE(seed.parent.stat().st_mode) == 0o700
    assert f"NATS nkey seed written to {seed}" in output.replace("\n", "")
    chosen = tmp_path / "chosen.nk"
    code, output = _run("credentials", "issue", "north/tax", "--data", data,
                        "--seed-out", chosen)
    assert code == 0 and chosen.is_file(), output


def test_replay_until_before_the_first_event_says_why_it_is_empty(tmp_path: Path) -> None:
    """`replay --until` a moment before the ledger's first event names that event's time."""
    data = tmp_path / "data"
    assert _run("credentials", "issue", "north/tax", "--data", data)[0] == 0
    code, output = _run("replay", "--data", data, "--until", "2001-01-01T00:00:00Z")
    assert code == 0, output
    assert "nothing replayed: the ledger's first event was recorded at" in output
    assert "give --until a later moment" in output
    code, output = _run("replay", "--data", data, "--until", "2999-01-01")
    assert code == 0 and "nothing replayed" not in output


def test_keyless_folder_hint_names_the_region_of_the_folder(tmp_path: Path) -> None:
    """The hint for a folder without region keys includes `--region south` for fed/south,
    so following it does not make a region named north in south's folder."""
    folder = tmp_path / "fed" / "south"
    code, output = _run("region", "trust", "--data", folder)
    assert code == 2
    assert f"interop-hub region keys --data {folder} --region south" in output.replace("\n", "")
