"""Which files of a data folder a backup holds, and how each is copied.

Everything in the folder is backed up except what is rebuilt, regenerated or
must never leave it:

- ``keys/kek`` (and ``HUB_KEK_FILE`` if it lies in the folder): the key that
  unwraps every other key stays with the operator, never in a backup;
- ``nats-seeds/``: departments' private NATS seeds, handed out once; the hub
  keeps only their public keys (in the ledger);
- ``nats/``: the embedded server's JetStream store and configuration. The ledger
  is the source of truth: a restored region's relay republishes what is routed
  and not answered, and the Object Store buckets are backed up through NATS;
- ``projections.sqlite3`` and ``as-of/``: read models, rebuilt from the ledger;
- lock files, SQLite's ``-wal``/``-shm``/``-journal`` files, dotfiles (temporary
  files and locks);
- symbolic links, anywhere: a link would copy a file from outside the folder into the
  backup, and restore it as the region's own.

SQLite databases are copied with the online backup API; the audit signing key,
the one private key stored unwrapped in the folder, is sealed under the KEK for
the backup (so the backup holds no unwrapped key); the rest is copied as it is
(the region's signing keys and the subject keys are already wrapped under the KEK).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from hub.adapters.backup.sqlite_copy import is_sqlite_file
from hub.service_layer.backup.manifest import FILE, KEK_SEALED, SQLITE

LEDGER = "ledger.sqlite3"
AUDIT_KEY = "keys/audit-ed25519.pem"
_SKIPPED_TOP = {"nats", "nats-seeds", "projections.sqlite3", "as-of", "hub.lock"}
_SKIPPED = {"keys/kek"}
_SKIPPED_SUFFIXES = ("-wal", "-shm", "-journal", ".tmp")


def folder_members(data: Path, *, also_skip: tuple[Path, ...] = ()) -> Iterator[tuple[str, str]]:
    """(name relative to ``data``, kind) of each file to back up, audit files excluded
    (they are copied under the audit lock, first), the ledger excluded (copied next)."""
    skip = {p.resolve() for p in also_skip}
    for path in sorted(data.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        name = path.relative_to(data).as_posix()
        parts = name.split("/")
        if (parts[0] in _SKIPPED_TOP or name in _SKIPPED or parts[0] == "audit"
                or name == LEDGER or any(p.startswith(".") for p in parts)
                or name.endswith(_SKIPPED_SUFFIXES) or path.resolve() in skip
                or any(s in path.resolve().parents for s in skip)):
            continue
        yield name, kind_of(path, name)


def audit_members(data: Path) -> list[str]:
    """The audit files (``audit/``: checkpoints, tree state, leaf index, peers' checkpoints)."""
    folder = data / "audit"
    if not folder.is_dir():
        return []
    return [p.relative_to(data).as_posix() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink() and not p.name.startswith(".")]


def kind_of(path: Path, name: str) -> str:
    """How the file at ``path`` is copied."""
    if name == AUDIT_KEY:
        return KEK_SEALED
    return SQLITE if is_sqlite_file(path) else FILE
