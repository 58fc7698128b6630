"""``interop-hub backup verify``: check a backup without restoring it.

Every member is opened (each chunk authenticates, in order, to its final
chunk), its size and SHA-256 compared with the manifest's, and the latest
signed checkpoint the manifest names must be the last one in the backed-up
checkpoint file. A wrong key, a truncated file, a flipped byte, a file
swapped for another, a missing file: each is a BackupIntegrityError (or
BackupKeyError) naming the member and what is wrong.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

from hub.adapters.backup.errors import BackupIntegrityError
from hub.adapters.backup.sealed import BackupKeys, open_sealed, sealed_member_of
from hub.service_layer.backup.manifest import (
    MANIFEST_FILE,
    MANIFEST_NAME,
    MEMBERS_FOLDER,
    Header,
    Manifest,
    Member,
)

CHECKPOINTS = "audit/checkpoints.jsonl"
_TAIL = 1 << 16


def open_backup(target: Path, material: bytes) -> tuple[Header, BackupKeys, Manifest]:
    """The backup's header, keys and manifest; BackupKeyError for a wrong key."""
    header = Header.load(target)
    keys = header.keys(material)
    path = target / MANIFEST_FILE
    if not path.exists():
        raise BackupIntegrityError(
            f"{target} has no {MANIFEST_FILE}: the backup is incomplete (interrupted?)")
    manifest = Manifest.from_json(b"".join(open_sealed(path, keys, MANIFEST_NAME)))
    if manifest.backup_id != str(header.backup_id):
        raise BackupIntegrityError(f"{MANIFEST_FILE} belongs to another backup")
    return header, keys, manifest


def verify_backup(target: Path, material: bytes) -> Manifest:
    """Check every member of the backup at ``target``; its manifest when all is well."""
    _, keys, manifest = open_backup(target, material)
    check_members(target, keys, manifest)
    _check_no_strangers(target, manifest)
    return manifest


def _check_no_strangers(target: Path, manifest: Manifest) -> None:
    """A file in ``members/`` that the manifest does not list was put there afterwards."""
    listed = {m.file for m in manifest.members}
    folder = target / MEMBERS_FOLDER
    found = sorted(p.relative_to(target).as_posix() for p in folder.iterdir()) \
        if folder.is_dir() else []
    strangers = [name for name in found if name not in listed]
    if strangers:
        raise BackupIntegrityError(
            f"{', '.join(strangers[:5])}{' …' if len(strangers) > 5 else ''}: not in the "
            "manifest; the backup was altered after it was written (restore ignores such "
            "files)")


def check_members(target: Path, keys: BackupKeys, manifest: Manifest) -> None:
    """Read every member back and compare it with the manifest (also run on write)."""
    for member in manifest.members:
        tail = b""
        for chunk in member_chunks(target, keys, manifest, member):
            if member.name == CHECKPOINTS:
                tail = (tail + chunk)[-_TAIL:]
        if member.name == CHECKPOINTS and manifest.checkpoint is not None:
            _check_covered(manifest, tail)


def member_chunks(target: Path, keys: BackupKeys, manifest: Manifest,
                  member: Member) -> Iterator[bytes]:
    """The plaintext of one member, chunk by chunk; its size and digest checked at the end."""
    path = target / member.file
    if not path.exists():
        raise BackupIntegrityError(f"{member.name}: its file {member.file} is missing")
    digest, size = hashlib.sha256(), 0
    try:
        for chunk in open_sealed(path, keys, member.name):
            digest.update(chunk)
            size += len(chunk)
            yield chunk
    except BackupIntegrityError as exc:
        raise _named_swap(target, keys, manifest, member) or exc from None
    if size != member.size or digest.hexdigest() != member.sha256:
        raise BackupIntegrityError(
            f"{member.name}: {member.file} holds {size} bytes of SHA-256 "
            f"{digest.hexdigest()[:16]}…, the manifest says {member.size} bytes of "
            f"{member.sha256[:16]}…")


def _named_swap(target: Path, keys: BackupKeys, manifest: Manifest,
                member: Member) -> BackupIntegrityError | None:
    others = [m.name for m in manifest.members if m.name != member.name]
    found = sealed_member_of(target / member.file, keys, others)
    if found is None:
        return None
    return BackupIntegrityError(
        f"{member.name}: {member.file} holds the member {found!r} instead: files of the "
        "backup were swapped or renamed")


def _check_covered(manifest: Manifest, tail: bytes) -> None:
    assert manifest.checkpoint is not None
    line = json.dumps({"note": manifest.checkpoint["note"]}, ensure_ascii=False).encode()
    if line not in tail.split(b"\n"):
        raise BackupIntegrityError(
            f"{CHECKPOINTS}: the checkpoint of size {manifest.checkpoint['size']} the manifest "
            "names is not the last one recorded in the backup")
