"""The audit log over real stores: one suite for SQLite and PostgreSQL.

Tampering is done the way an intruder would: SQL straight into the event table.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from hub.adapters.store.ledger import Ledger
from hub.service_layer.audit import AuditError, Auditor, ProofError, checkpoint_periodically
from hub.service_layer.audit.merkle import verify_consistency, verify_inclusion
from hub.settings import HubSettings
from tests.integration.audit_tampering import delete_row, execute, record, set_state, state_at
from tests.integration.hub_fixtures import running_region
from tests.waiting import wait_until_async

ROOT = Path(__file__).resolve().parents[2]
STANDALONE = ROOT / "simulations" / "audit_verify_standalone.py"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "hub"


@pytest.fixture
def ledger(store_ledger: Ledger) -> Ledger:
    """The hub's ledger over each event store back end, in ``data_dir``."""
    return store_ledger


@pytest.fixture
def auditor(store_url: str | None, data_dir: Path) -> Auditor:
    return Auditor(data_dir, store_url, "north")


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
    delete_row(store_url, data_dir, 8)
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
    delete_row(store_url, data_dir, 6)
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
    with pytest.raises(ProofError, match="no recorded checkpoint has tree size 5") as absent:
        auditor.consistency(5, new.size)
    # The sizes one can ask for instead are listed, so a user need not open the file.
    assert absent.value.message.endswith(f"recorded sizes: {old.size}, {new.size}")


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
    await wait_until_async(  # up to 10 s on a loaded machine; usually one interval
        lambda: _sizes(auditor)[-1:] == ["3"], timeout_s=10,
        message="a checkpoint of the three new events")
    signed = _sizes(auditor)
    await asyncio.sleep(0.3)  # six idle intervals
    idle = _sizes(auditor)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert signed[-1] == "3"
    assert idle == signed


async def test_history_recorded_before_start_is_signed_at_once(
    ledger: Ledger, auditor: Auditor
) -> None:
    """A hub starting over unsigned history signs it during start-up, not an interval later."""
    await asyncio.to_thread(record, ledger, 2)
    stop = asyncio.Event()
    task = asyncio.create_task(checkpoint_periodically(auditor, interval_s=3600, stop=stop))
    try:
        await wait_until_async(
            lambda: _sizes(auditor)[-1:] == ["6"], timeout_s=10,
            message="a checkpoint of the six events recorded before the task started")
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)


def _sizes(auditor: Auditor) -> list[str]:
    return [json.loads(line)["note"].split("\n")[1] for line in _lines(auditor)]


def _lines(auditor: Auditor) -> list[str]:
    path = auditor.paths.checkpoints
    return path.read_text().splitlines() if path.exists() else []


async def test_running_hub_signs_a_checkpoint_at_shutdown(hub_settings: HubSettings) -> None:
    """run_hub signs a final checkpoint when it stops, and it verifies."""
    async with running_region(hub_settings) as region:
        await asyncio.to_thread(record, region.hub.ledger, 1)
    auditor = Auditor.from_settings(hub_settings)
    report = await asyncio.to_thread(auditor.verify)
    assert report.ok, report.problems
    assert report.checkpoints >= 1 and report.covered == report.events >= 3
