"""What a backup holds: its clear header and its sealed manifest.

A backup is a folder::

    TARGET/backup.json        in the clear: format, backup id, region, KDF salt, key check
    TARGET/manifest.sealed    the manifest (JSON), sealed like every member
    TARGET/members/NNNNN.sealed   one sealed file per member

The manifest lists each member (its name in the data folder or bucket, what
kind it is, its file, size, SHA-256 and mode), the ledger's extent, and the
latest signed checkpoint the backup covers. It is written last: a backup
without one is incomplete.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from hub.adapters.backup.buckets import bucket_prefix
from hub.adapters.backup.errors import BackupIntegrityError, BackupKeyError
from hub.adapters.backup.sealed import BackupKeys, derive_keys

FORMAT = "interop-hub-backup/1"
HEADER_FILE = "backup.json"
MANIFEST_FILE = "manifest.sealed"
MANIFEST_NAME = "manifest.json"
MEMBERS_FOLDER = "members"

# Member kinds
FILE = "file"  # a file of the data folder, copied as it is
SQLITE = "sqlite"  # a SQLite database, copied with the online backup API
KEK_SEALED = "kek-sealed"  # a private key sealed under the region's KEK for the backup
PG_DUMP = "pg-dump"  # pg_dump --format=custom of the PostgreSQL database
KEYS_DUMP = "pg-dump-keys"  # pg_dump of a key store database apart from the event store's
OBJECT = "object"  # an object of one of the region's Object Store buckets


@dataclass(frozen=True)
class Header:
    """The clear part of a backup: enough to derive its keys and tell a wrong key."""

    backup_id: UUID
    region: str
    created_at: str
    salt: bytes
    key_check: str

    def keys(self, material: bytes) -> BackupKeys:
        """This backup's keys from the operator's key; BackupKeyError when it is not its key."""
        keys = derive_keys(material, self.salt, self.backup_id)
        if not keys.matches(self.key_check):
            raise BackupKeyError(
                f"the backup key does not open backup {self.backup_id} (region {self.region}, "
                f"{self.created_at}): wrong key")
        return keys

    def save(self, target: Path) -> None:
        """Write ``TARGET/backup.json``."""
        body = {"format": FORMAT, "backup_id": str(self.backup_id), "region": self.region,
                "created_at": self.created_at, "kdf": "hkdf-sha256",
                "salt": base64.b64encode(self.salt).decode(), "key_check": self.key_check}
        (target / HEADER_FILE).write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, target: Path) -> Header:
        """Read ``TARGET/backup.json``; BackupIntegrityError when it is missing or garbled."""
        path = target / HEADER_FILE
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
            if body["format"] != FORMAT:
                raise BackupIntegrityError(f"{path}: format {body['format']!r}, not {FORMAT}")
            return cls(UUID(body["backup_id"]), body["region"], body["created_at"],
                       base64.b64decode(body["salt"]), body["key_check"])
        except FileNotFoundError:
            raise BackupIntegrityError(f"{target} is not a backup: no {HEADER_FILE}") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BackupIntegrityError(f"{path} cannot be read: {exc}") from None


@dataclass(frozen=True)
class Member:
    """One file of the backup and what it restores to."""

    name: str  # path in the data folder, or bucket/object for an object
    kind: str
    file: str  # path of the sealed file inside the backup
    size: int
    sha256: str
    mode: int = 0o600
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Manifest:
    """The sealed manifest: members, the ledger's extent, the checkpoint covered."""

    backup_id: str
    region: str
    created_at: str
    store: str  # "sqlite" or "postgresql"
    members: list[Member] = field(default_factory=list)
    events: int = 0
    last_position: int = 0
    checkpoint: dict[str, Any] | None = None  # size, root (hex), note
    buckets: str = "none"  # what happened to the Object Store buckets, in words

    def to_json(self) -> bytes:
        """The manifest as JSON bytes."""
        body = asdict(self)
        return json.dumps(body, indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        """Read a manifest; BackupIntegrityError when it is not one."""
        try:
            body = json.loads(data)
            members = [Member(**m) for m in body.pop("members")]
            manifest = cls(members=members, **body)
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupIntegrityError(f"the manifest cannot be read: {exc}") from None
        check_manifest(manifest)
        return manifest

    def member(self, name: str) -> Member | None:
        """The member restoring to ``name``, if there is one."""
        return next((m for m in self.members if m.name == name), None)


KINDS = (FILE, SQLITE, KEK_SEALED, PG_DUMP, KEYS_DUMP, OBJECT)
STORES = ("sqlite", "postgresql")
_IN_FOLDER = (FILE, SQLITE, KEK_SEALED)  # restored as files of the data folder
_MEMBER_FILE = re.compile(r"^members/[0-9]{5,}\.sealed$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def check_manifest(manifest: Manifest) -> None:
    """Refuse a manifest restore could not follow safely, naming the member and field.

    The manifest is sealed, so only a holder of the backup key can write one; it is
    still checked as input: a member name that leaves the data folder (``..``, an absolute
    path), two members on one path, a member file outside ``members/``, a kind or mode
    that is not one, a PostgreSQL dump in a SQLite backup, an object for a bucket that is
    not the region's. ``backup verify`` refuses what
    ``restore`` would.
    """
    if manifest.store not in STORES:
        raise BackupIntegrityError(f"the manifest's store {manifest.store!r} is not one of "
                                   f"{', '.join(STORES)}")
    for name in ("events", "last_position"):
        if not _count(getattr(manifest, name)):
            raise BackupIntegrityError(f"the manifest's {name} is not a whole number")
    _check_checkpoint(manifest.checkpoint)
    paths: set[str] = set()
    files: set[str] = set()
    for index, member in enumerate(manifest.members):
        problem = _member_problem(member, manifest.store, manifest.region)
        if problem is None and member.file in files:
            problem = f"file {member.file!r} is another member's too"
        if problem is None and member.kind in _IN_FOLDER:
            problem = _path_problem(member.name, paths)
            paths.add(member.name)
        if problem is not None:
            shown = str(member.name)[:200]
            raise BackupIntegrityError(f"the manifest's member {index} ({shown!r}): {problem}")
        files.add(member.file)


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_checkpoint(checkpoint: object) -> None:
    if checkpoint is None:
        return
    if (not isinstance(checkpoint, dict) or not _count(checkpoint.get("size"))
            or not isinstance(checkpoint.get("root"), str)
            or not isinstance(checkpoint.get("note"), str)):
        raise BackupIntegrityError(
            "the manifest's checkpoint is not one: it needs a size (a whole number), a root "
            "and a note")


def _member_problem(member: Member, store: str, region: str) -> str | None:
    if not isinstance(member.name, str) or not member.name:
        return "name is empty or not text"
    if member.kind not in KINDS:
        return f"kind {member.kind!r} is not one of {', '.join(KINDS)}"
    if member.kind == PG_DUMP and store != "postgresql":
        return "a PostgreSQL dump in a backup of a SQLite store"
    if not isinstance(member.file, str) or not _MEMBER_FILE.match(member.file):
        return f"file {member.file!r} is not a file of the backup's members/ folder"
    if not _count(member.size):
        return "size is not a whole number"
    if not isinstance(member.sha256, str) or not _SHA256.match(member.sha256):
        return "sha256 is not 64 hex digits"
    if not _count(member.mode) or member.mode > 0o777:
        return f"mode {member.mode!r} is not a file mode (0 to 0o777)"
    if not isinstance(member.meta, dict):
        return "meta is not a table"
    if member.kind == OBJECT and not all(
            isinstance(member.meta.get(key), str) and member.meta[key]
            for key in ("bucket", "object")):
        return "an Object Store object needs its bucket and object name"
    if member.kind == OBJECT and not member.meta["bucket"].startswith(bucket_prefix(region)):
        return (f"bucket {member.meta['bucket'][:100]!r} is not one of region {region}'s "
                f"({bucket_prefix(region)}*): a restore writes only the region's own buckets")
    return None


def _path_problem(name: str, taken: set[str]) -> str | None:
    """Why ``name`` cannot be a path inside the data folder; None when it can."""
    parts = name.split("/")
    if (name.startswith("/") or "\\" in name or "\x00" in name
            or any(part in ("", ".", "..") for part in parts)):
        return ("is not a relative path inside the data folder (no '..', '.', empty parts, "
                "leading '/' or backslash)")
    if name in taken:
        return "is named by another member too"
    prefixes = {"/".join(parts[:i]) for i in range(1, len(parts))}
    if prefixes & taken or any(other.startswith(name + "/") for other in taken):
        return "is a file and a folder at once with another member's path"
    return None
