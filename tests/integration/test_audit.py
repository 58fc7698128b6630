"""The audit log over real stores: one suite for SQLite and PostgreSQL, then the CLI.

Tampering is done the way an intruder would: SQL straight into the event table.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import structlog
from typer.testing import CliRunner

from hub.audit import AuditError, Auditor, ProofError, checkpoint_periodically
from hub.audit.merkle import verify_consistency, verify_inclusion
from hub.entrypoints.cli import app
from hub.ledger import Arrival, Ledger, Translation
from hub.settings import HubSettings
from hub.store import store_environment
from tests.integration.hub_fixtures import running_region

ROOT = Path(__file__).resolve().parents[2]
STANDALONE = ROOT / "simulations" / "audit_verify_standalone.py"
ARRIVAL = Arrival("north/tax", "north/social-security/x", "c-1", "json", "sha256:00", 42, "r")
TRANSLATION = Translation(
    "c@1.0", {"national_id": "19800101-1234"}, "sha256:11", "north/social-security", "s"
)


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
    else:
        yield request.getfixturevalue("postgres_url")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "hub"


@pytest.fixture
def ledger(store_url: str | None, data_dir: Path) -> Iterator[Ledger]:
    app_ = Ledger(store_environment(store_url, data_dir))
    yield app_
    app_.close()


@pytest.fixture
def auditor(store_url: str | None, data_dir: Path) -> Auditor:
    return Auditor(data_dir, store_url, "north")


def record(ledger: Ledger, exchanges: int) -> list[UUID]:
    """Each accepted exchange stores three events: Received, Translated, Routed."""
    return [ledger.record_accepted(ARRIVAL, TRANSLATION) for _ in range(exchanges)]


def execute(store_url: str | None, data_dir: Path, sqlite_sql: str, pg_sql: str, *args: Any) -> Any:
    """Run one statement directly against the event table; fetch one row if it returns any."""
    if store_url is None:
        with sqlite3.connect(data_dir / "ledger.sqlite3") as conn:
            row = conn.execute(sqlite_sql, args).fetchone()
        conn.close()
        return row
    import psycopg

    with psycopg.connect(store_url, autocommit=True) as conn:
        cursor = conn.execute(pg_sql.replace("?", "%s"), args)
        return cursor.fetchone() if cursor.description else None


def state_at(store_url: str | None, data_dir: Path, position: int) -> bytes:
    row = execute(
        store_url,
        data_dir,
        "SELECT state FROM stored_events WHERE rowid = ?",
        "SELECT state FROM ledger_events WHERE notification_id = ?",
        position,
    )
    return bytes(row[0])


def set_state(store_url: str | None, data_dir: Path, position: int, state: bytes) -> None:
    execute(
        store_url,
        data_dir,
        "UPDATE stored_events SET state = ? WHERE rowid = ?",
        "UPDATE ledger_events SET state = ? WHERE notification_id = ?",
        state,
        position,
    )


def test_clean_store_passes(ledger: Ledger, auditor: Auditor) -> None:
    """Untouched events match every checkpoint; events after the last are counted, not flagged."""
    record(ledger, 4)
    first = auditor.checkpoint()
    record(ledger, 2)
    second = auditor.checkpoint()
    record(ledger, 1)
    report = auditor.verify()
    assert report.ok, report.problems
    assert (first.size, second.size) == (12, 18)
    assert (report.events, report.checkpoints, report.covered) == (21, 2, 18)


def test_flipped_byte_is_located(
    ledger: Ledger, auditor: Auditor, store_url: str | None, data_dir: Path
) -> None:
    """Flipping one byte of one stored state fails verify and names position, aggregate, version."""
    ids = record(ledger, 4)
    auditor.checkpoint()
    record(ledger, 2)
    auditor.checkpoint()
    state = bytearray(state_at(store_url, data_dir, 5))
    state[10] ^= 0x01
    set_state(store_url, data_dir, 5, bytes(state))
    report = auditor.verify()
    assert not report.ok
    bad = report.first_bad
    assert bad is not None
    assert (bad.position, bad.aggregate_id, bad.version, bad.kind) == (
        5,
        str(ids[1]),
        2,
        "modified",
    )
    assert bad.describe() == f"position 5, aggregate {ids[1]}, version 2"


def test_deleted_event_is_named(
    ledger: Ledger, auditor: Auditor, store_url: str | None, data_dir: Path
) -> None:
    """Deleting one stored row is detected and the missing event is named from the index."""
    ids = record(ledger, 4)
    auditor.checkpoint()
    execute(
        store_url,
        data_dir,
        "DELETE FROM stored_events WHERE rowid = ?",
        "DELETE FROM ledger_events WHERE notification_id = ?",
        8,
    )
    report = auditor.verify()
    assert report.first_bad is not None
    assert report.first_bad.describe() == f"position 8, aggregate {ids[2]}, version 2"
    assert report.first_bad.kind == "deleted"


def test_deleting_the_last_event_is_detected(
    ledger: Ledger, auditor: Auditor, store_url: str | None, data_dir: Path
) -> None:
    """Truncating the log below a checkpoint's size is caught and the lost event named."""
    ids = record(ledger, 2)
    auditor.checkpoint()
    execute(
        store_url,
        data_dir,
        "DELETE FROM stored_events WHERE rowid = ?",
        "DELETE FROM ledger_events WHERE notification_id = ?",
        6,
    )
    report = auditor.verify()
    assert any("more events than the store holds" in p for p in report.problems)
    assert report.first_bad is not None
    assert report.first_bad.describe() == f"position 6, aggregate {ids[1]}, version 3"


def test_swapped_states_are_detected(
    ledger: Ledger, auditor: Auditor, store_url: str | None, data_dir: Path
) -> None:
    """Swapping two rows' stored states (reordering) names the first of the two."""
    ids = record(ledger, 4)
    auditor.checkpoint()
    fourth, tenth = state_at(store_url, data_dir, 4), state_at(store_url, data_dir, 10)
    set_state(store_url, data_dir, 4, tenth)
    set_state(store_url, data_dir, 10, fourth)
    report = auditor.verify()
    assert report.first_bad is not None
    assert report.first_bad.describe() == f"position 4, aggregate {ids[1]}, version 1"


def test_relabelled_event_is_detected(
    ledger: Ledger, auditor: Auditor, store_url: str | None, data_dir: Path
) -> None:
    """Changing only a row's topic (its event type) is tampering too."""
    ids = record(ledger, 2)
    auditor.checkpoint()
    execute(
        store_url,
        data_dir,
        "UPDATE stored_events SET topic = 'interop-hub:exchange.rejected' WHERE rowid = ?",
        "UPDATE ledger_events SET topic = 'interop-hub:exchange.rejected' "
        "WHERE notification_id = ?",
        3,
    )
    report = auditor.verify()
    assert report.first_bad is not None
    assert report.first_bad.describe() == f"position 3, aggregate {ids[0]}, version 3"


def test_later_checkpoint_does_not_launder_tampering(
    ledger: Ledger, auditor: Auditor, store_url: str | None, data_dir: Path
) -> None:
    """A checkpoint signed after old rows were edited still leaves verify failing."""
    record(ledger, 2)
    auditor.checkpoint()
    set_state(store_url, data_dir, 2, b"{}")
    record(ledger, 1)
    auditor.checkpoint()
    report = auditor.verify()
    assert report.problems == [
        report.problems[0],
        "1 later checkpoint(s) do not match either",
    ]
    assert report.first_bad is not None and report.first_bad.position == 2


def test_proofs_verify_against_the_signed_roots(ledger: Ledger, auditor: Auditor) -> None:
    """Inclusion and consistency proofs from the store check out with RFC 9162 verification."""
    ids = record(ledger, 3)
    old = auditor.checkpoint()
    record(ledger, 3)
    new = auditor.checkpoint()
    inclusion = auditor.prove(f"{ids[2]}:2")
    assert (inclusion.event.position, inclusion.leaf_index) == (8, 7)
    assert verify_inclusion(7, new.size, inclusion.leaf_hash, inclusion.path, new.root_hash)
    consistency = auditor.consistency(old.size, new.size)
    assert verify_consistency(old.size, new.size, old.root_hash, new.root_hash, consistency.path)
    with pytest.raises(ProofError, match="no recorded checkpoint has tree size 5"):
        auditor.consistency(5, new.size)


def test_lost_tree_state_is_rebuilt_but_not_over_tampering(
    ledger: Ledger, auditor: Auditor, store_url: str | None, data_dir: Path
) -> None:
    """Without tree.json a checkpoint recomputes it, unless the store no longer matches."""
    record(ledger, 2)
    auditor.checkpoint()
    auditor.paths.state.unlink()
    record(ledger, 1)
    assert auditor.checkpoint().size == 9
    auditor.paths.state.unlink()
    set_state(store_url, data_dir, 1, b"{}")
    with pytest.raises(AuditError, match="refusing to sign"):
        auditor.checkpoint()


def test_crash_before_saving_the_tree_state_recovers(ledger: Ledger, auditor: Auditor) -> None:
    """A checkpoint recorded without its tree state (a crash) is picked up from the store."""
    record(ledger, 2)
    auditor.checkpoint()
    before = auditor.paths.state.read_text()
    record(ledger, 1)
    auditor.checkpoint()
    auditor.paths.state.write_text(before)  # as if the process died before saving
    record(ledger, 1)
    assert auditor.checkpoint().size == 12
    assert auditor.verify().ok


def test_edited_tree_state_is_never_signed(ledger: Ledger, auditor: Auditor) -> None:
    """A tree.json whose frontier no longer gives the signed root is recomputed, not trusted."""
    record(ledger, 2)
    auditor.checkpoint()
    state = json.loads(auditor.paths.state.read_text())
    state["frontier"][0] = "00" * 32
    auditor.paths.state.write_text(json.dumps(state))
    record(ledger, 1)
    auditor.checkpoint()
    assert auditor.verify().ok


def test_forged_checkpoint_line_is_reported(ledger: Ledger, auditor: Auditor) -> None:
    """Editing a recorded checkpoint breaks its signature and fails verify."""
    record(ledger, 2)
    auditor.checkpoint()
    path = auditor.paths.checkpoints
    path.write_text(path.read_text().replace("\\n6\\n", "\\n5\\n", 1))
    report = auditor.verify()
    assert not report.ok
    assert any("invalid signature" in p for p in report.problems)


async def test_periodic_checkpoints_sign_only_when_events_arrive(
    ledger: Ledger, auditor: Auditor
) -> None:
    """The background task signs after new events and stays quiet while nothing changes."""
    stop = asyncio.Event()
    task = asyncio.create_task(checkpoint_periodically(auditor, interval_s=0.05, stop=stop))
    await asyncio.to_thread(record, ledger, 1)
    for _ in range(200):  # up to 10 s on a loaded machine; usually one interval
        if _sizes(auditor)[-1:] == ["3"]:
            break
        await asyncio.sleep(0.05)
    signed = _sizes(auditor)
    await asyncio.sleep(0.3)  # six idle intervals
    idle = _sizes(auditor)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert signed[-1] == "3"
    assert idle == signed


def _sizes(auditor: Auditor) -> list[str]:
    return [json.loads(line)["note"].split("\n")[1] for line in _lines(auditor)]


def _lines(auditor: Auditor) -> list[str]:
    path = auditor.paths.checkpoints
    return path.read_text().splitlines() if path.exists() else []


# --- the command line, on a SQLite data folder -------------------------------------------


@pytest.fixture
def sqlite_folder(tmp_path: Path) -> tuple[Path, list[UUID]]:
    data = tmp_path / "hub"
    app_ = Ledger(store_environment(None, data))
    ids = record(app_, 4)
    app_.close()
    return data, ids


def cli(*args: str) -> Any:
    # The command configures structlog to print to its stderr, which CliRunner closes
    # afterwards: put the configuration back so later tests do not log into a closed file.
    saved = structlog.get_config()
    try:
        return CliRunner().invoke(app, ["audit", *args], catch_exceptions=False)
    finally:
        structlog.configure(**saved)


def standalone(proof: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(STANDALONE), "-", *args],
        input=proof,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_cli_checkpoint_then_verify_passes(sqlite_folder: tuple[Path, list[UUID]]) -> None:
    """`audit checkpoint` signs and `audit verify` exits 0 on an untouched store."""
    data, _ = sqlite_folder
    signed = cli("checkpoint", "--data", str(data))
    assert signed.exit_code == 0
    assert "interop-hub/north/ledger\n12\n" in signed.output
    verified = cli("verify", "--data", str(data))
    assert verified.exit_code == 0, verified.output
    assert "ok: the stored events match every signed checkpoint" in verified.output


def test_cli_verify_before_any_checkpoint_says_so(sqlite_folder: tuple[Path, list[UUID]]) -> None:
    """A folder that never signed passes verify but says nothing was held against it."""
    data, _ = sqlite_folder
    result = cli("verify", "--data", str(data))
    assert result.exit_code == 0, result.output
    assert "events       12" in result.output
    assert "no checkpoint recorded yet" in result.output


def test_cli_verify_names_the_tampered_event(sqlite_folder: tuple[Path, list[UUID]]) -> None:
    """On a flipped byte `audit verify` exits 1 naming position, aggregate and version."""
    data, ids = sqlite_folder
    cli("checkpoint", "--data", str(data))
    set_state(None, data, 9, state_at(None, data, 9).replace(b"{", b"[", 1))
    result = cli("verify", "--data", str(data))
    assert result.exit_code == 1
    assert f"first bad event: position 9, aggregate {ids[2]}, version 3" in result.output


def test_cli_verify_with_a_pinned_key_of_another_region_fails(
    sqlite_folder: tuple[Path, list[UUID]], tmp_path: Path
) -> None:
    """Verifying with a key that did not sign the checkpoints is refused, not passed."""
    data, _ = sqlite_folder
    cli("checkpoint", "--data", str(data))
    other = cli("key", "--data", str(tmp_path / "other")).output.strip()
    result = cli("verify", "--data", str(data), "--key", other)
    assert result.exit_code == 1
    assert "not signed by key" in result.output


def test_cli_proofs_pass_the_standalone_verifier(sqlite_folder: tuple[Path, list[UUID]]) -> None:
    """`prove --json` and `consistency --json` output checks out with the standalone script."""
    data, ids = sqlite_folder
    cli("checkpoint", "--data", str(data))
    key = cli("key", "--data", str(data)).output.strip()
    app_ = Ledger(store_environment(None, data))
    record(app_, 2)
    app_.close()
    cli("checkpoint", "--data", str(data))
    text = cli("prove", "5", "--data", str(data))
    assert "leaf index   4" in text.output and "tree size    18" in text.output
    inclusion = cli("prove", f"{ids[3]}:1", "--data", str(data), "--json").output
    checked = standalone(inclusion, "--key", key)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"aggregate {ids[3]}, version 1 is leaf 9" in checked.stdout
    consistency = cli("consistency", "12", "18", "--data", str(data), "--json").output
    assert standalone(consistency, "--key", key).returncode == 0
    forged = json.loads(inclusion)
    forged["event"]["version"] = 2
    refused = standalone(json.dumps(forged), "--key", key)
    assert refused.returncode == 1 and "does not hash to leaf_hash" in refused.stdout


def test_cli_prove_refuses_an_unknown_event(sqlite_folder: tuple[Path, list[UUID]]) -> None:
    """Proving an event that is not stored exits 2 with the reason."""
    data, _ = sqlite_folder
    cli("checkpoint", "--data", str(data))
    result = cli("prove", f"{UUID(int=1)}:1", "--data", str(data))
    assert result.exit_code == 2
    assert "no stored event is version 1" in result.output


async def test_running_hub_signs_a_checkpoint_at_shutdown(hub_settings: HubSettings) -> None:
    """run_hub signs a final checkpoint when it stops, and it verifies."""
    async with running_region(hub_settings) as region:
        await asyncio.to_thread(record, region.hub.ledger, 1)
    auditor = Auditor.from_settings(hub_settings)
    report = await asyncio.to_thread(auditor.verify)
    assert report.ok, report.problems
    assert report.checkpoints >= 1 and report.covered == report.events >= 3
