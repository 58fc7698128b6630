"""The disaster drill: a region under load is backed up, destroyed, restored and repaired.

Two regions on real nats-servers joined by a leaf link: north issues records to south
(each recognised by south, which returns a signed receipt), while south's own ledger
takes local work and signs checkpoints. Mid-load, south is backed up online. When the
load is over, south's data folder is destroyed; it is restored into a fresh folder;
``reconcile`` with north finds what south lost after the backup and repairs it. Then:
every record acknowledged before the backup is present, nothing is duplicated, the
audit verifies, and consistency proofs link south's old checkpoints (as a peer keeps
them) to the restored region's new tree. The counts are printed (``pytest -s``).

The drill runs once per event store of south's: SQLite in its data folder, and PostgreSQL
(marked ``postgres``), where the loss drops south's database too and the restore goes into
a new, empty one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest
import structlog

from hub.adapters.crypto.kek import read_kek_file
from hub.adapters.nats.server import NatsServerConfig, NatsServerProcess, free_port
from hub.bootstrap.privacy import build_ledger
from hub.bootstrap.reconciliation import reconcile_folders
from hub.domain.credential import CredentialKind
from hub.service_layer.audit import Auditor, CheckpointBody
from hub.service_layer.audit.checkpoints import CheckpointLog
from hub.service_layer.audit.log import AuditPaths
from hub.service_layer.audit.merkle import verify_consistency
from hub.service_layer.audit.note import split_note
from hub.service_layer.backup import restore_backup, take_backup
from hub.service_layer.federation.reconciliation import Category
from hub.service_layer.federation.reconciliation.loading import load_history
from hub.service_layer.security.credentials import CredentialService
from hub.settings import HubSettings
from simulations.federation_scenarios import (
    CLEARANCE,
    TAX_CLEARANCE,
    FederatedRegion,
    federated_regions,
    receipt_of,
    subject_ref,
)
from tests.integration.backup_fixtures import drop_database, fresh_database
from tests.integration.partition_helpers import south_reachable
from tests.waiting import wait_until_async

RECORDS = 120  # records north issues to south, in all
BACKUP_AFTER = 60  # the backup starts once this many are issued; the rest go on meanwhile
LOCAL_EVENTS = 300  # most local events south's ledger takes (bounded load)
NO_GRACE = dt.timedelta(0)
KEY = os.urandom(32)


@pytest.fixture(autouse=True)
def _keep_structlog() -> Iterator[None]:
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[dict[str, NatsServerProcess]]:
    """north accepts south's leaf link; each its own JetStream domain (loopback only)."""
    leaf = free_port()
    north = NatsServerProcess(NatsServerConfig(
        "north", tmp_path / "nats" / "north", jetstream_domain="north", leafnode_port=leaf))
    south = NatsServerProcess(NatsServerConfig(
        "south", tmp_path / "nats" / "south", jetstream_domain="south",
        leaf_remotes=[f"nats-leaf://127.0.0.1:{leaf}"]))
    north.start()
    south.start()
    try:
        yield {"north": north, "south": south}
    finally:
        south.stop()
        north.stop()


@pytest.fixture
def restore_store(store_url: str | None) -> Iterator[str | None]:
    """Where south is restored to: its data folder alone (SQLite), or a new, empty database
    on the same PostgreSQL server."""
    if store_url is None:
        yield None
        return
    with fresh_database() as url:
        yield url


def _settings(data: Path, region: str, store: str | None = None) -> HubSettings:
    settings = HubSettings(data=data, region=region, store=store, log_format="json")
    settings.data.mkdir(parents=True, exist_ok=True)
    build_ledger(settings).close()
    return settings


def _local_load(settings: HubSettings, stop: threading.Event, counts: Counter[str]) -> None:
    """South's own work: ledger events (credentials) and a signed checkpoint every ten."""
    ledger = build_ledger(settings)
    auditor = Auditor.from_settings(settings)
    try:
        credentials = CredentialService(ledger, settings.region)
        deadline = time.monotonic() + 60
        while not stop.is_set() and counts["local events"] < LOCAL_EVENTS \
                and time.monotonic() < deadline:
            credentials.issue(f"south/local-{counts['local events']}",
                              CredentialKind.DEPARTMENT, dt.timedelta(days=1))
            counts["local events"] += 1
            if counts["local events"] % 10 == 0:
                auditor.checkpoint()
                counts["checkpoints before loss"] += 1
            time.sleep(0.005)
    finally:
        ledger.close()


async def _issue(north: FederatedRegion, count: int, tag: str, issued: list[UUID]) -> None:
    for i in range(count):
        sent = await north.link.issue("tax", CLEARANCE, TAX_CLEARANCE,
                                      subject_ref=subject_ref(f"{tag}{i}"), to=["south"])
        issued.append(sent.record.record_id)


async def _acknowledged(north: FederatedRegion, ids: list[UUID]) -> set[UUID]:
    """The records whose receipt from south north holds now."""
    acked = set()
    for rid in ids:
        record = await north.link.call(north.federation.app.get_record, rid)
        if any(r["receiver"] == "south" for r in record.receipts.values()):
            acked.add(rid)
    return acked


def _notes(path: Path) -> list[str]:
    return [note for _, note in CheckpointLog(path).notes() if note is not None]


def _body(note: str) -> CheckpointBody:
    return CheckpointBody.parse(split_note(note)[0])


async def test_the_disaster_drill(tmp_path: Path, servers: dict[str, NatsServerProcess],
                                  store_url: str | None, restore_store: str | None,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Backup mid-load, loss, restore on a fresh folder (and database), reconcile: nothing
    acknowledged is lost, nothing doubled, the audit verifies and old checkpoints link to
    the new tree."""
    north_s = _settings(tmp_path / "north", "north")
    south_s = _settings(tmp_path / "south", "south", store_url)
    counts: Counter[str] = Counter()
    issued: list[UUID] = []
    async with federated_regions([(north_s, servers["north"].url),
                                  (south_s, servers["south"].url)]) as regions:
        north = regions["north"]
        await south_reachable(north)
        stop = threading.Event()
        local = asyncio.ensure_future(asyncio.to_thread(_local_load, south_s, stop, counts))
        await _issue(north, BACKUP_AFTER, "before", issued)
        rest = asyncio.ensure_future(_issue(north, RECORDS - BACKUP_AFTER, "during", issued))
        await wait_until_async(lambda: counts["checkpoints before loss"] >= 1, timeout_s=30,
                               interval_s=0.02, message="south signed a checkpoint under load")
        acked_before = await _acknowledged(north, list(issued))  # before the backup starts
        kek = read_kek_file(south_s.data / "keys" / "kek")  # the operator keeps it apart
        backup = await take_backup(south_s.data, south_s.store, "south", tmp_path / "backup",
                                   KEY, kek=kek, nats=None)
        await rest
        for rid in issued:  # every record answered before the loss
            assert await receipt_of(north, rid, "south", within_s=20) is not None
        stop.set()
        await local
    old_notes = _notes(AuditPaths(south_s.data).checkpoints)  # what peers hold of south

    shutil.rmtree(south_s.data)  # the loss
    if store_url is not None:
        drop_database(store_url)  # ... and south's database with it
    restored = tmp_path / "south-restored"
    report = await restore_backup(tmp_path / "backup", KEY, restored, restore_store, kek=kek)
    (restored / "keys" / "kek").write_bytes(base64_kek(kek))
    (restored / "keys" / "kek").chmod(0o600)
    assert report.audit is not None and report.audit.ok, report.audit
    assert report.audit.events == backup.manifest.events  # the backup's counts are its own
    restored_s = HubSettings(data=restored, region="south", store=restore_store,
                             log_format="json")

    found = reconcile_folders(north_s, restored_s, grace=NO_GRACE).report
    lost = {UUID(f.key) for f in found.of(Category.MISSING)}
    assert not lost & acked_before, "a record acknowledged before the backup is missing"
    assert lost <= set(issued) - acked_before
    repaired = reconcile_folders(north_s, restored_s, grace=NO_GRACE, repair=True)
    after = reconcile_folders(north_s, restored_s, grace=NO_GRACE).report
    assert after.agrees, after.summary()
    assert after.counts == {"missing": 0, "duplicated": 0, "divergent": 0, "pending": 0}

    decisions = Counter(d.record_id for d in load_history(restored_s).decisions
                        if d.issuer == "north" and d.kind == "recognised")
    assert set(decisions) == {str(rid) for rid in issued}, "every record present"
    assert set(decisions.values()) == {1}, "none duplicated"

    # South goes on working; its new tree continues every checkpoint the backup covered.
    _local_after(restored_s, 5)
    new = Auditor.from_settings(restored_s).checkpoint()
    assert backup.manifest.checkpoint is not None
    covered = backup.manifest.checkpoint["size"]
    linked = superseded = 0
    auditor = Auditor.from_settings(restored_s)
    for note in old_notes:
        old = _body(note)
        if old.size > covered:
            superseded += 1  # signed after the backup: those events were lost with the folder
            continue
        proof = auditor.consistency(old.size, new.size)
        assert verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof.path)
        linked += 1
    assert linked >= 1
    assert Auditor.from_settings(restored_s).verify().ok

    with capsys.disabled():  # the counts show in `make test`'s output, not only with -s
        print(f"\ndrill ({report.manifest.store}): {len(issued)} records issued north->south, "
              f"{len(acked_before)} acknowledged before the backup, "
              f"all {len(acked_before)} present after restore; "
              f"{counts['local events']} local events in south, backup covered "
              f"{backup.manifest.events} ledger events (checkpoint {covered}); "
              f"lost after the backup and repaired by reconcile: {len(lost)} "
              f"({len(repaired.steps)} repair steps); duplicated: 0; audit verifies "
              f"{report.audit.events} events; {linked} old checkpoints linked to the new tree "
              f"(size {new.size}) by consistency proofs, {superseded} signed after the backup "
              "superseded")


def base64_kek(kek: bytes) -> bytes:
    import base64

    return base64.b64encode(kek) + b"\n"


def _local_after(settings: HubSettings, count: int) -> None:
    ledger = build_ledger(settings)
    try:
        credentials = CredentialService(ledger, settings.region)
        for i in range(count):
            credentials.issue(f"south/after-{i}", CredentialKind.DEPARTMENT, dt.timedelta(days=1))
    finally:
        ledger.close()
