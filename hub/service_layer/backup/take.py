"""``interop-hub backup``: a consistent, online, sealed backup of one region.

The order makes the backup consistent without stopping the hub:

1. the audit files, under the audit lock (no checkpoint is being written), and
   the latest signed checkpoint among them;
2. the event store: SQLite's online backup API, or ``pg_dump`` (one snapshot).
   The ledger only grows, so the copy holds at least every event the copied
   checkpoints cover; then a key store kept in a PostgreSQL database of its own
   (hub.service_layer.backup.key_store), after the events so that each has its key;
3. the other files of the data folder (hub.service_layer.backup.contents);
4. the region's Object Store buckets, through NATS (when a NATS is given);
5. the manifest, sealed; then every member is read back and its digest checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import shutil
import stat
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hub.adapters.backup import buckets, postgres_dump
from hub.adapters.backup.errors import BackupError, RestoreTargetError
from hub.adapters.backup.kek_sealed import seal_under_kek
from hub.adapters.backup.sealed import BackupKeys, SealedWriter, derive_keys
from hub.adapters.backup.sqlite_copy import ledger_extent, online_copy
from hub.adapters.store.selection import store_environment
from hub.service_layer.audit.checkpoint import log_origin
from hub.service_layer.audit.checkpoints import CheckpointLog
from hub.service_layer.audit.keys import audit_key_path, load_audit_signer
from hub.service_layer.audit.log import AuditPaths, locked
from hub.service_layer.backup.contents import LEDGER, audit_members, folder_members
from hub.service_layer.backup.key_store import KEY_SCHEMA, separate_key_database
from hub.service_layer.backup.manifest import (
    FILE,
    KEK_SEALED,
    KEYS_DUMP,
    MANIFEST_FILE,
    MANIFEST_NAME,
    MEMBERS_FOLDER,
    OBJECT,
    PG_DUMP,
    SQLITE,
    Header,
    Manifest,
    Member,
)
from hub.service_layer.backup.verify import check_members


@dataclass(frozen=True)
class NatsAccess:
    """Where the region's Object Store buckets are read or written: URL and the hub's auth."""

    url: str
    auth: dict[str, Any]


@dataclass(frozen=True)
class BackupReport:
    """What a backup holds and how long it took."""

    target: Path
    manifest: Manifest
    bytes: int
    seconds: float


class _Members:
    """Allocates sealed member files in the backup and records what each holds."""

    def __init__(self, target: Path, keys: BackupKeys) -> None:
        self.target, self.keys = target, keys
        self.members: list[Member] = []

    def writer(self, name: str) -> SealedWriter:
        file = f"{MEMBERS_FOLDER}/{len(self.members) + 1:05d}.sealed"
        self.members.append(Member(name, "pending", file, 0, ""))
        return SealedWriter(self.target / file, self.keys, name)

    def done(self, writer: SealedWriter, kind: str, mode: int = 0o600,
             meta: dict[str, Any] | None = None) -> None:
        file = self.members[-1].file
        self.members[-1] = Member(writer.name, kind, file, writer.size, writer.sha256, mode,
                                  meta or {})

    def copy_file(self, source: Path, name: str, kind: str = FILE) -> None:
        with self.writer(name) as writer, open(source, "rb") as handle:
            while chunk := handle.read(1 << 20):
                writer.write(chunk)
        self.done(writer, kind, _mode(source))


async def take_backup(
    data: Path, store: str | None, region: str, target: Path, material: bytes, *, kek: bytes,
    nats: NatsAccess | None, key_store: str | None = None,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> BackupReport:
    """Back up the region whose folder is ``data`` (events in ``store``: None for SQLite in
    the folder; subject keys in ``key_store``: None beside the events) into the new folder
    ``target``, sealed under ``material``."""
    started = time.perf_counter()
    keys_apart = separate_key_database(key_store, store, data)  # refused before anything
    _prepare_target(target, data)
    backup_id, salt = uuid.uuid4(), os.urandom(32)
    keys = derive_keys(material, salt, backup_id)
    header = Header(backup_id, region, clock().isoformat(), salt, keys.check_value())
    header.save(target)
    manifest = Manifest(str(header.backup_id), region, header.created_at,
                        "postgresql" if _is_postgres(store) else "sqlite")
    out = _Members(target, keys)
    try:
        manifest.checkpoint = await asyncio.to_thread(_copy_audit, data, region, out)
        await asyncio.to_thread(_copy_store, data, store, out, manifest)
        if keys_apart is not None:  # after the events: each event's key is in it
            await asyncio.to_thread(_copy_key_store, keys_apart, out)
        await asyncio.to_thread(_copy_folder, data, target, kek, out)
        manifest.buckets = await _copy_buckets(region, nats, out)
        manifest.members = out.members
        with SealedWriter(target / MANIFEST_FILE, keys, MANIFEST_NAME) as writer:
            writer.write(manifest.to_json())
        await asyncio.to_thread(check_members, target, keys, manifest)  # verified on write
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)  # a half-written backup is no backup
        raise
    size = await asyncio.to_thread(_bytes_in, target)
    return BackupReport(target, manifest, size, time.perf_counter() - started)


def _bytes_in(target: Path) -> int:
    return sum(p.stat().st_size for p in target.rglob("*") if p.is_file())


def _prepare_target(target: Path, data: Path) -> None:
    if target.is_symlink() and not target.exists():
        raise RestoreTargetError(f"the backup target {target} is a symbolic link to nothing "
                                 f"({os.readlink(target)}): name a new folder")
    if target.exists() and not target.is_dir():
        raise RestoreTargetError(f"the backup target {target} is a file, not a folder: name a "
                                 "new folder")
    if target.exists() and any(target.iterdir()):
        raise RestoreTargetError(f"the backup target {target} is not empty: name a new folder")
    if target.resolve() == data.resolve():
        raise BackupError(f"the backup target {target} is the data folder itself")
    try:
        target.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise RestoreTargetError(f"the backup target {target} cannot be made: "
                                 f"{exc.strerror}") from None


def _copy_audit(data: Path, region: str, out: _Members) -> dict[str, Any] | None:
    """The audit files, under the audit lock; the latest signed checkpoint among them."""
    paths = AuditPaths(data)
    if not paths.folder.is_dir():
        return None
    with locked(paths):
        for name in audit_members(data):
            out.copy_file(data / name, name)
        if not audit_key_path(data).exists():
            return None
        latest = CheckpointLog(paths.checkpoints).latest(
            load_audit_signer(data, log_origin(region)).verifier())
    if latest is None:
        return None
    return {"size": latest.size, "root": latest.root_hash.hex(), "note": latest.note}


def _copy_store(data: Path, store: str | None, out: _Members, manifest: Manifest) -> None:
    if store is not None and _is_postgres(store):
        with out.writer("postgresql.dump") as writer:
            manifest.events, manifest.last_position = postgres_dump.dump_database(store, writer)
        out.done(writer, PG_DUMP)
    else:
        source = _sqlite_ledger(data, store)
        if not source.exists():
            raise BackupError(f"no event store at {source}")
        with _staging(data) as staging:
            copy = staging / LEDGER
            online_copy(source, copy)
            extent = ledger_extent(copy)
            manifest.events, manifest.last_position = extent.events, extent.last_position
            out.copy_file(copy, LEDGER, SQLITE)
    if manifest.checkpoint and manifest.checkpoint["size"] > manifest.events:
        raise BackupError(  # cannot happen with an append-only ledger: a tampered store
            f"the copied ledger holds {manifest.events} events but the latest checkpoint "
            f"covers {manifest.checkpoint['size']}: run `interop-hub audit verify`")


def _copy_key_store(url: str, out: _Members) -> None:
    with out.writer("key-store.dump") as writer:
        postgres_dump.dump_database(url, writer, schema=KEY_SCHEMA)
    out.done(writer, KEYS_DUMP)


def _copy_folder(data: Path, target: Path, kek: bytes, out: _Members) -> None:
    with _staging(data) as staging:
        for name, kind in folder_members(data, also_skip=(target,)):
            source = data / name
            if kind == SQLITE:
                copy = staging / name.replace("/", "_")
                online_copy(source, copy)
                out.copy_file(copy, name, SQLITE)
                copy.unlink()
            elif kind == KEK_SEALED:
                with out.writer(name) as writer:
                    writer.write(seal_under_kek(kek, name, source.read_bytes()))
                out.done(writer, KEK_SEALED)
            else:
                out.copy_file(source, name)


async def _copy_buckets(region: str, nats: NatsAccess | None, out: _Members) -> str:
    if nats is None:
        return ("NOT backed up: no NATS reachable (the hub is not running, and neither --nats "
                "nor HUB_NATS_URL is set); the buckets' objects are missing from this backup")
    objects = 0
    async with buckets.connected(nats.url, nats.auth) as js:
        names = await buckets.region_buckets(js, region)
        for bucket in names:
            for item in await buckets.objects_of(js, bucket):
                writer = await asyncio.to_thread(out.writer, f"{bucket}/{item.name}")
                try:
                    await buckets.read_object(js, item, writer.write)
                    await asyncio.to_thread(writer.close)
                except BaseException:
                    writer.abort()
                    raise
                out.done(writer, OBJECT, meta={"bucket": bucket, "object": item.name,
                                               "description": item.description,
                                               "headers": item.headers})
                objects += 1
    prefix = buckets.bucket_prefix(region)
    return f"{objects} objects of {len(names)} buckets named {prefix}* from {nats.url}"


@contextlib.contextmanager
def _staging(data: Path) -> Iterator[Path]:
    """A private folder for SQLite's plaintext copies, removed after: inside the data folder
    (a dotfile, so never backed up itself), where the same bytes already lie in the clear,
    never on the backup's disk."""
    folder = Path(tempfile.mkdtemp(prefix=".backup-staging-", dir=data))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _is_postgres(store: str | None) -> bool:
    return bool(store) and urlsplit(store or "").scheme in ("postgresql", "postgres")


def _sqlite_ledger(data: Path, store: str | None) -> Path:
    return Path(store_environment(store, data)["SQLITE_DBNAME"]) if store else data / LEDGER


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)
