"""``interop-hub restore``: a backup into an empty folder (and database), then proven.

Steps: open the backup (the key is checked first); refuse a target folder or
database (event store, and a key store kept apart) that holds anything; write
every file member back, its digest checked, unsealing the audit key under the
KEK; with ``until_checkpoint``, check that a checkpoint of that size was signed;
``pg_restore`` the dumps into their empty databases; with ``until_checkpoint``,
keep the ledger (SQLite or PostgreSQL) only up to that checkpoint's tree size
and list what came after; rewind
the outbox relay to the first exchange routed and not yet answered, so that a
fresh NATS gets again what was in flight (the ledger is the source of truth; a
restored region needs no copy of its NATS store); put the Object Store objects
back; finally ``audit verify`` must prove the restored ledger is the one the
checkpoints signed.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.adapters.backup import buckets, postgres_dump, sqlite_copy
from hub.adapters.backup.cutoff import CutOff
from hub.adapters.backup.errors import BackupError, BackupIntegrityError, RestoreTargetError
from hub.adapters.backup.kek_sealed import open_under_kek
from hub.adapters.backup.sealed import BackupKeys
from hub.domain.exchange import Exchange
from hub.service_layer.audit import Auditor, VerifyReport
from hub.service_layer.audit.checkpoints import CheckpointLog
from hub.service_layer.audit.log import AuditPaths
from hub.service_layer.backup.contents import LEDGER
from hub.service_layer.backup.key_store import check_key_target
from hub.service_layer.backup.manifest import (
    KEK_SEALED,
    KEYS_DUMP,
    OBJECT,
    PG_DUMP,
    Manifest,
    Member,
)
from hub.service_layer.backup.take import NatsAccess
from hub.service_layer.backup.verify import member_chunks, open_backup
from hub.service_layer.exchanges.relay import RELAY_NAME, RELAYED_TOPICS

ANSWERED = (Exchange.Responded.TOPIC, Exchange.DeadLettered.TOPIC, Exchange.Completed.TOPIC)


@dataclass
class RestoreReport:
    """What was restored, what was left out, and what the audit says."""

    manifest: Manifest
    events: int = 0
    relay_from: int = 0  # the relay republishes routed events after this position
    cut: CutOff | None = None
    audit: VerifyReport | None = None
    objects: int = 0
    notes: list[str] = field(default_factory=list)


async def restore_backup(
    source: Path, material: bytes, data: Path, store: str | None, *, kek: bytes,
    until_checkpoint: int | None = None, nats: NatsAccess | None = None,
    key_store: str | None = None,
) -> RestoreReport:
    """Restore the backup at ``source`` into the empty folder ``data`` (and, for a
    PostgreSQL backup, the empty database ``store``; for a backup of a key store kept in a
    database of its own, the empty database ``key_store``)."""
    header, keys, manifest = await asyncio.to_thread(open_backup, source, material)
    postgres = manifest.store == "postgresql"
    _check_targets(data, store, postgres)
    holds_keys = any(m.kind == KEYS_DUMP for m in manifest.members)
    await asyncio.to_thread(check_key_target, key_store, store, holds_keys)
    report = RestoreReport(manifest)
    created = await asyncio.to_thread(_make_folder, data)
    try:
        await asyncio.to_thread(_write_files, source, keys, manifest, data, kek)
        if until_checkpoint is not None:  # refused before the database is written
            await asyncio.to_thread(_check_size, data, until_checkpoint)
        if postgres or holds_keys:
            await asyncio.to_thread(_restore_dumps, source, keys, manifest, store, key_store)
        if until_checkpoint is not None:
            report.cut = await asyncio.to_thread(_cut, data, store, until_checkpoint)
        report.relay_from = await asyncio.to_thread(_rewind_relay, data, store, postgres)
        report.objects = await _restore_objects(source, keys, manifest, nats, report)
    except BaseException:
        if created:
            shutil.rmtree(data, ignore_errors=True)
        raise
    auditor = Auditor(data, store, header.region)
    report.audit = await asyncio.to_thread(auditor.verify)
    report.events = report.audit.events
    return report


def _make_folder(data: Path) -> bool:
    """Create ``data`` if missing; True when this restore created it (and may remove it)."""
    created = not data.exists()
    data.mkdir(mode=0o700, parents=True, exist_ok=True)
    return created


def _check_targets(data: Path, store: str | None, postgres: bool) -> None:
    if data.is_symlink() and not data.exists():
        raise RestoreTargetError(f"the data folder {data} is a symbolic link to nothing: "
                                 "restore into a new or empty folder")
    if data.exists() and not data.is_dir():
        raise RestoreTargetError(f"the data folder {data} is a file, not a folder: restore "
                                 "into a new or empty folder")
    if data.exists() and any(data.iterdir()):
        raise RestoreTargetError(
            f"the data folder {data} is not empty: restore into a new or empty folder")
    if postgres:
        if not store:
            raise RestoreTargetError(
                "this backup is of a PostgreSQL store: set HUB_STORE to an empty database "
                "(createdb) to restore into")
        postgres_dump.ensure_empty(store)
    elif store:
        raise RestoreTargetError(
            "this backup is of a SQLite store in the data folder: unset HUB_STORE")


def _write_files(source: Path, keys: BackupKeys, manifest: Manifest, data: Path,
                 kek: bytes) -> None:
    """Write the members that are files of the data folder back into ``data``."""
    for member in manifest.members:
        if member.kind in (OBJECT, PG_DUMP, KEYS_DUMP):
            continue  # through NATS, and into the database, below
        chunks = member_chunks(source, keys, manifest, member)
        path = _inside(data, member.name)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if member.kind == KEK_SEALED:
            plain = open_under_kek(kek, member.name, b"".join(chunks))
            _write(path, [plain], 0o600)
        else:
            _write(path, chunks, member.mode)


def _restore_dumps(source: Path, keys: BackupKeys, manifest: Manifest, store: str | None,
                   key_store: str | None) -> None:
    """``pg_restore`` the event store's dump into the empty database ``store``, and a
    separate key store's into ``key_store`` (one transaction each)."""
    targets = {PG_DUMP: store, KEYS_DUMP: key_store}
    for member in manifest.members:
        target = targets.get(member.kind)
        if target is not None:
            postgres_dump.restore_database(target, member_chunks(source, keys, manifest, member))


def _inside(data: Path, name: str) -> Path:
    path = (data / name).resolve()
    if data.resolve() not in path.parents:
        raise BackupIntegrityError(f"member {name!r} would be written outside {data}")
    return path


def _write(path: Path, chunks: Any, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode & 0o777)
    with os.fdopen(fd, "wb") as handle:
        for chunk in chunks:
            handle.write(chunk)
        handle.flush()
        os.fsync(handle.fileno())


def _cut(data: Path, store: str | None, size: int) -> CutOff:
    """Keep the ledger (in ``data``, or the PostgreSQL database ``store``) up to the
    checkpoint of tree size ``size``; later checkpoints go."""
    log = CheckpointLog(AuditPaths(data).checkpoints)
    cut = (postgres_dump.cut_after_leaf(store, size) if store
           else sqlite_copy.cut_after_leaf(data / LEDGER, size))
    kept = [line for line in log.path.read_text(encoding="utf-8").splitlines(keepends=True)
            if line.strip() and (_size_of_line(line) or 0) <= size]
    log.path.write_text("".join(kept), encoding="utf-8")
    paths = AuditPaths(data)
    paths.state.unlink(missing_ok=True)  # rebuilt from the store at the next checkpoint
    paths.index.unlink(missing_ok=True)
    return cut


def _check_size(data: Path, size: int) -> None:
    """BackupError unless the restored checkpoint log holds a checkpoint of tree size ``size``."""
    log = CheckpointLog(AuditPaths(data).checkpoints)
    sizes = [_size(note) for _, note in log.notes() if note is not None]
    if size not in sizes:
        shown = ", ".join(str(s) for s in sizes[-10:]) or "none"
        raise BackupError(f"--until-checkpoint {size}: no checkpoint of that tree size in the "
                          f"backup (recorded sizes, last ten: {shown})")


def _size(note: str) -> int:
    try:
        return int(note.split("\n")[1])
    except (IndexError, ValueError):
        return -1


def _size_of_line(line: str) -> int | None:
    try:
        return _size(json.loads(line)["note"])
    except (ValueError, KeyError, TypeError):
        return None


def _rewind_relay(data: Path, store: str | None, postgres: bool) -> int:
    """Make the relay republish from the first exchange routed and not answered."""
    if postgres:
        assert store is not None
        first = postgres_dump.unanswered_routed(store, RELAYED_TOPICS, ANSWERED)
        if first is not None:
            postgres_dump.set_tracking(store, RELAY_NAME, first - 1)
        return (first - 1) if first is not None else -1
    ledger = data / LEDGER
    first = sqlite_copy.unanswered_routed(ledger, RELAYED_TOPICS, ANSWERED)
    if first is not None:
        sqlite_copy.set_tracking(ledger, RELAY_NAME, first - 1)
    return (first - 1) if first is not None else -1


async def restore_objects(source: Path, material: bytes, nats: NatsAccess) -> int:
    """Only the Object Store objects of the backup at ``source``, into ``nats`` (a region
    restored already, whose hub runs its embedded server); their buckets must be empty."""
    _, keys, manifest = await asyncio.to_thread(open_backup, source, material)
    report = RestoreReport(manifest)
    return await _restore_objects(source, keys, manifest, nats, report)


async def _restore_objects(source: Path, keys: BackupKeys, manifest: Manifest,
                           nats: NatsAccess | None, report: RestoreReport) -> int:
    objects = [m for m in manifest.members if m.kind == OBJECT]
    if not objects:
        return 0
    if nats is None:
        report.notes.append(f"{len(objects)} Object Store objects NOT restored yet: start the "
                            "hub on this folder, then `interop-hub restore --from TARGET "
                            "--data DIR --objects-only` (or give --nats URL)")
        return 0
    async with buckets.connected(nats.url, nats.auth) as js:
        present = set(await buckets.region_buckets(js, manifest.region))
        wanted = {m.meta["bucket"] for m in objects}
        for bucket in sorted(wanted & present):
            if await buckets.objects_of(js, bucket):
                raise RestoreTargetError(
                    f"NATS at {nats.url} already holds objects in bucket {bucket}: restore "
                    "into a region whose buckets are empty")
        for member in objects:
            await _put(js, source, keys, manifest, member)
    return len(objects)


async def _put(js: Any, source: Path, keys: BackupKeys, manifest: Manifest,
               member: Member) -> None:
    item = buckets.StoredObject(member.meta["bucket"], member.meta["object"],
                                member.meta.get("description"), member.meta.get("headers") or {})
    await buckets.write_object(js, item, member_chunks(source, keys, manifest, member))
