"""``interop-hub backup``, ``backup verify`` and ``restore`` on a real data folder (SQLite):
the round trip proves itself with the audit log; damage, a wrong key and a non-empty target
are refused with a clear error; ``--until-checkpoint`` stops at a signed checkpoint and lists
what came after."""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from typer.testing import CliRunner, Result

from hub.adapters.backup.sqlite_copy import ledger_extent
from hub.entrypoints.cli.main import app
from hub.service_layer.audit.keys import audit_key_path
from hub.settings import HubSettings
from tests.integration.backup_fixtures import add_events, backup_key, region_folder

CLEAN_ENV: dict[str, str | None] = {k: None for k in os.environ if k.startswith("HUB_")}


@pytest.fixture(autouse=True)
def _keep_structlog() -> Iterator[None]:
    """The CLI configures structlog for the process; put the test run's back afterwards."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


def _run(*args: str | Path, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], env={**CLEAN_ENV, **(env or {})})


@pytest.fixture
def backed_up(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(data folder, backup, key file): a region with checkpoints at 3 and 6 events,
    backed up."""
    data = tmp_path / "north"
    region_folder(data)
    key = backup_key(tmp_path)
    done = _run("backup", "--data", data, "--to", tmp_path / "b", "--key-file", key)
    assert done.exit_code == 0, done.output
    assert "6 events" in done.output and "checkpoint   size 6" in done.output
    return data, tmp_path / "b", key


def test_a_backup_restores_into_an_empty_folder_and_the_audit_proves_it(
    backed_up: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    """Round trip: the restored ledger is the one the checkpoints signed; no KEK in the
    backup, and the audit key in it is not in the clear."""
    data, target, key = backed_up
    sealed = b"".join(p.read_bytes() for p in target.rglob("*") if p.is_file())
    assert (data / "keys" / "kek").read_bytes().strip() not in sealed
    assert b"PRIVATE KEY" not in sealed and b"SQLite format" not in sealed
    checked = _run("backup", "verify", target, "--key-file", key)
    assert checked.exit_code == 0 and "is intact" in checked.output, checked.output

    restored = tmp_path / "restored"
    done = _run("restore", "--from", target, "--data", restored, "--key-file", key,
                "--kek-file", data / "keys" / "kek")
    assert done.exit_code == 0, done.output
    assert "2 checkpoints over 6 events: verifies" in done.output
    assert (restored / "keys" / "kek").read_bytes() == (data / "keys" / "kek").read_bytes()
    assert audit_key_path(restored).read_bytes() == audit_key_path(data).read_bytes()
    audit = _run("audit", "verify", "--data", restored)
    assert audit.exit_code == 0 and "ok:" in audit.output, audit.output


def test_restore_refuses_a_folder_that_is_not_empty(
    backed_up: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    data, target, key = backed_up
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "something").write_text("x")
    done = _run("restore", "--from", target, "--data", tmp_path / "busy", "--key-file", key,
                "--kek-file", data / "keys" / "kek")
    assert done.exit_code == 2 and "is not empty" in done.output, done.output
    assert sorted(p.name for p in (tmp_path / "busy").iterdir()) == ["something"]


def test_a_wrong_key_and_the_kek_are_refused(backed_up: tuple[Path, Path, Path],
                                             tmp_path: Path) -> None:
    data, target, _ = backed_up
    wrong = tmp_path / "wrong.key"
    wrong.write_bytes(base64.b64encode(os.urandom(32)))
    done = _run("backup", "verify", target, "--key-file", wrong)
    assert done.exit_code == 2 and "wrong key" in done.output, done.output
    kek_as_key = _run("backup", "--data", data, "--to", tmp_path / "b2", "--key-file",
                      data / "keys" / "kek")
    assert kek_as_key.exit_code == 2 and "key-encryption key" in kek_as_key.output
    assert not (tmp_path / "b2").exists()


def _ledger_member(target: Path) -> Path:
    return max((target / "members").iterdir(), key=lambda p: p.stat().st_size)


@pytest.mark.parametrize(("damage", "said"), [
    ("flip", "does not authenticate"),
    ("truncate", "truncated"),
    ("swap", "holds the member"),
    ("delete", "is missing"),
])
def test_damage_to_a_backup_is_named(backed_up: tuple[Path, Path, Path], damage: str,
                                     said: str) -> None:
    """A flipped byte, a cut file, two files swapped, a file gone: each is a clear error."""
    _, target, key = backed_up
    ledger = _ledger_member(target)
    data = bytearray(ledger.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x40
        ledger.write_bytes(bytes(data))
    elif damage == "truncate":
        ledger.write_bytes(bytes(data[:-100]))
    elif damage == "swap":
        other = next(p for p in (target / "members").iterdir() if p != ledger)
        swapped = other.read_bytes()
        other.write_bytes(bytes(data))
        ledger.write_bytes(swapped)
    else:
        ledger.unlink()
    done = _run("backup", "verify", target, "--key-file", key)
    assert done.exit_code == 2 and said in done.output, done.output


def test_restore_until_a_checkpoint_keeps_its_events_and_lists_the_rest(
    backed_up: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    """--until-checkpoint 3: three events kept, three listed as left out, the audit verifies
    the one checkpoint kept, and the region goes on signing over the cut ledger."""
    data, target, key = backed_up
    restored = tmp_path / "as-of-3"
    done = _run("restore", "--from", target, "--data", restored, "--key-file", key,
                "--kek-file", data / "keys" / "kek", "--until-checkpoint", "3")
    assert done.exit_code == 0, done.output
    assert "left out     3 events" in done.output
    assert "3  interop-hub:credential.issued" in done.output
    assert "1 checkpoints over 3 events: verifies" in done.output
    assert ledger_extent(restored / "ledger.sqlite3").events == 3
    settings = HubSettings(data=restored, region="north", log_format="json")
    add_events(settings, 2, "after")
    signed = _run("audit", "checkpoint", "--data", restored)
    assert signed.exit_code == 0 and "5 events" in signed.output, signed.output
    proof = _run("audit", "consistency", "3", "5", "--data", restored)
    assert proof.exit_code == 0, proof.output
    none_such = _run("restore", "--from", target, "--data", tmp_path / "x", "--key-file", key,
                     "--kek-file", data / "keys" / "kek", "--until-checkpoint", "4")
    assert none_such.exit_code == 2 and "recorded sizes" in none_such.output
    assert not (tmp_path / "x").exists()


def test_restore_needs_the_kek_and_refuses_another(backed_up: tuple[Path, Path, Path],
                                                   tmp_path: Path) -> None:
    _, target, key = backed_up
    other = tmp_path / "other-kek"
    other.write_text(base64.b64encode(os.urandom(32)).decode())
    other.chmod(0o600)
    done = _run("restore", "--from", target, "--data", tmp_path / "r", "--key-file", key,
                "--kek-file", other)
    assert done.exit_code == 2 and "does not open under the KEK" in done.output, done.output
    assert not (tmp_path / "r").exists()
    missing = _run("restore", "--from", target, "--data", tmp_path / "r", "--key-file", key)
    assert missing.exit_code == 2 and "KEK" in missing.output
    shutil.rmtree(tmp_path / "r", ignore_errors=True)


def test_a_key_store_outside_the_data_folder_is_refused_naming_the_setting(
    backed_up: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    """HUB_KEY_STORE naming a SQLite file outside the folder: the backup would lack the
    subject keys, so it is refused before a byte is written; one inside the folder is
    copied with it."""
    data, _, key = backed_up
    outside = f"sqlite:///{tmp_path / 'elsewhere' / 'keys.sqlite3'}"
    done = _run("backup", "--data", data, "--to", tmp_path / "b2", "--key-file", key,
                env={"HUB_KEY_STORE": outside})
    assert done.exit_code == 2, done.output
    assert "HUB_KEY_STORE" in done.output and "outside the data folder" in done.output
    assert not (tmp_path / "b2").exists()
    inside = f"sqlite:///{data / 'keys' / 'subject-keys.sqlite3'}"
    done = _run("backup", "--data", data, "--to", tmp_path / "b3", "--key-file", key,
                env={"HUB_KEY_STORE": inside})
    assert done.exit_code == 0, done.output
