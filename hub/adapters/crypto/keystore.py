"""The subject key store: data keys per data subject (and per retention scope), apart from
the events.

Two kinds of data key live here: the subject's own key (one per subject, kept
until the subject is forgotten) and the keys of retention scopes, one per
``(subject, purpose, expiry bucket)`` (:mod:`hub.domain.retention`). The latter
carry the instant they expire at, indexed, so the retention enforcer finds what
expired by asking the store — never by reading the event history.

Keys never sit in the event store. The store holds rows of *wrapped* keys
(encrypted under the key-encryption key, :mod:`hub.adapters.crypto.kek`), and the
wrapped region secret from which subject references are derived; wrapping and
unwrapping is the keyring's job (:mod:`hub.adapters.crypto.keyring`), this port only
keeps rows. Forgetting a subject deletes their row and scrubs what it can.

Where the keys live (``HUB_KEY_STORE``; unset: beside the event store; chosen by
:mod:`hub.adapters.crypto.keystore_selection`):

- **SQLite** (embedded default): ``DIR/keys/subject-keys.sqlite3``, a file of
  its own (mode 0600). ``secure_delete`` makes SQLite overwrite deleted content
  with zeros, and after each deletion the store runs ``VACUUM`` and truncates its
  write-ahead log, so a destroyed key's bytes do not linger in free pages or the WAL.
- **PostgreSQL** (:mod:`hub.adapters.crypto.keystore_postgres`): tables in a schema of
  their own, ``hub_privacy``, in the event store's database. Not a local file,
  because the production shape runs several stateless hub workers per region
  and they must all encrypt one person's data under the same key; a separate
  schema so that roles which read events (audit, projections) can be denied the
  keys. PostgreSQL cannot promise to scrub a deleted row's bytes (dead tuples,
  WAL, backups): what may linger is a *wrapped* key, useless without the KEK,
  which never enters the database.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from hub.adapters.crypto.errors import KeyStoreError
from hub.domain.retention import KeyScope


@dataclass(frozen=True)
class StoredKey:
    """One subject's data key as stored: wrapped under the KEK, with its key id."""

    subject: str
    kid: str
    wrapped: bytes
    created_at: dt.datetime
    purpose: str = ""  # with ``bucket``: the retention scope; "" for the subject's own key
    bucket: str = ""


@dataclass(frozen=True)
class ExpiringKey:
    """A retention scope's key as the enforcer sees it: which, and when it expires."""

    kid: str
    scope: KeyScope
    expires_at: dt.datetime


@dataclass(frozen=True)
class ScheduledExpiry:
    """How many keys (one per subject) of one purpose expire at the end of one bucket."""

    purpose: str
    bucket: str
    expires_at: dt.datetime
    keys: int


@dataclass(frozen=True)
class WrappedRow:
    """One wrapped value of the store, as a KEK rotation sees it (``kid`` empty for secrets)."""

    kind: str  # "secret" | "key" | "data-key" (a retention scope's key)
    name: str  # the secret's name, or the subject of a key
    kid: str
    wrapped: bytes
    purpose: str = ""  # a data key's scope
    bucket: str = ""


Rewrap = Callable[[WrappedRow], bytes]


class KeyStore(Protocol):
    """Rows of wrapped keys and secrets. Implementations are safe to share between threads."""

    def get_secret(self, name: str) -> bytes | None:
        """The wrapped secret called ``name``, if stored."""

    def add_secret(self, name: str, wrapped: bytes) -> bytes:
        """Store a secret unless one exists; return the one stored (which may be another's)."""

    def put_secret(self, name: str, wrapped: bytes) -> None:
        """Store a secret, replacing the one of that name (a rotated provider secret)."""

    def get_key(self, subject: str) -> StoredKey | None:
        """The subject's current key, if any."""

    def add_key(self, key: StoredKey) -> StoredKey:
        """Store a subject key unless the subject has one; return the one stored."""

    def delete_key(self, subject: str) -> list[str]:
        """Delete ALL the subject's keys (its own and every scope's) and scrub them; return the
        key ids deleted."""

    def key_ids(self, subject: str) -> list[str]:
        """The ids of every key the subject has (its own and every scope's)."""

    def get_data_key(self, scope: KeyScope) -> StoredKey | None:
        """The key of a retention scope, if any."""

    def add_data_key(self, key: StoredKey, expires_at: dt.datetime) -> StoredKey:
        """Store a scope's key unless the scope has one; return the one stored."""

    def expired_keys(self, now: dt.datetime, limit: int) -> list[ExpiringKey]:
        """Up to ``limit`` scope keys expiring at or before ``now``, the earliest first."""

    def delete_data_keys(self, kids: Sequence[str]) -> list[str]:
        """Delete these scope keys and scrub them; return the ids actually deleted."""

    def schedule(self, limit: int) -> list[ScheduledExpiry]:
        """The keys still held, grouped by (purpose, bucket), the earliest expiry first."""

    def is_empty(self) -> bool:
        """Whether the store holds no secret and no key (a new KEK may be made for it)."""

    def rewrap(self, transform: Rewrap) -> int:
        """Replace every wrapped value by ``transform(row)``, all in ONE transaction; the count."""

    def close(self) -> None:
        """Release connections."""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, wrapped BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS subject_keys (
    subject TEXT PRIMARY KEY,
    kid TEXT NOT NULL,
    wrapped BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS data_keys (
    kid TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    purpose TEXT NOT NULL,
    bucket TEXT NOT NULL,
    wrapped BLOB NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,  -- ISO 8601 in UTC: ordered as text
    UNIQUE (subject, purpose, bucket)
);
CREATE INDEX IF NOT EXISTS data_keys_expiry ON data_keys (expires_at);
"""
_DATA_KEY = "SELECT subject, kid, wrapped, created_at, purpose, bucket FROM data_keys"


class SqliteKeyStore:
    """The key store in a SQLite file of its own."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Create the file 0600 before SQLite does (it would use the umask).
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
            self._db = sqlite3.connect(
                path, timeout=10, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise KeyStoreError(f"cannot open the key store {path}: {exc}") from None

    def get_secret(self, name: str) -> bytes | None:
        with self._cursor() as db:
            row = db.execute("SELECT wrapped FROM secrets WHERE name = ?", (name,)).fetchone()
        return None if row is None else bytes(row[0])

    def add_secret(self, name: str, wrapped: bytes) -> bytes:
        with self._cursor() as db:
            db.execute(
                "INSERT INTO secrets (name, wrapped) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (name, wrapped),
            )
            row = db.execute("SELECT wrapped FROM secrets WHERE name = ?", (name,)).fetchone()
        return bytes(row[0])

    def put_secret(self, name: str, wrapped: bytes) -> None:
        with self._cursor() as db:
            db.execute(
                "INSERT INTO secrets (name, wrapped) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET wrapped = excluded.wrapped",
                (name, wrapped),
            )

    def get_key(self, subject: str) -> StoredKey | None:
        with self._cursor() as db:
            row = db.execute(
                "SELECT subject, kid, wrapped, created_at FROM subject_keys WHERE subject = ?",
                (subject,),
            ).fetchone()
        return None if row is None else _stored_key(row)

    def add_key(self, key: StoredKey) -> StoredKey:
        with self._cursor() as db:
            db.execute(
                "INSERT INTO subject_keys (subject, kid, wrapped, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (key.subject, key.kid, key.wrapped, key.created_at.isoformat()),
            )
            row = db.execute(
                "SELECT subject, kid, wrapped, created_at FROM subject_keys WHERE subject = ?",
                (key.subject,),
            ).fetchone()
        return _stored_key(row)

    def delete_key(self, subject: str) -> list[str]:
        with self._cursor() as db:
            kids = [r[0] for r in db.execute(
                "DELETE FROM subject_keys WHERE subject = ? RETURNING kid", (subject,))]
            kids += [r[0] for r in db.execute(
                "DELETE FROM data_keys WHERE subject = ? RETURNING kid", (subject,))]
            if kids:
                _scrub(db)
        return kids

    def key_ids(self, subject: str) -> list[str]:
        with self._cursor() as db:
            rows = db.execute(
                "SELECT kid FROM subject_keys WHERE subject = ? "
                "UNION ALL SELECT kid FROM data_keys WHERE subject = ?", (subject, subject),
            ).fetchall()
        return [r[0] for r in rows]

    def get_data_key(self, scope: KeyScope) -> StoredKey | None:
        with self._cursor() as db:
            row = db.execute(
                f"{_DATA_KEY} WHERE subject = ? AND purpose = ? AND bucket = ?",
                (scope.subject, scope.purpose, scope.bucket),
            ).fetchone()
        return None if row is None else _stored_key(row)

    def add_data_key(self, key: StoredKey, expires_at: dt.datetime) -> StoredKey:
        with self._cursor() as db:
            db.execute(
                "INSERT INTO data_keys (kid, subject, purpose, bucket, wrapped, created_at, "
                "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (key.kid, key.subject, key.purpose, key.bucket, key.wrapped,
                 key.created_at.isoformat(), _utc(expires_at)),
            )
            row = db.execute(
                f"{_DATA_KEY} WHERE subject = ? AND purpose = ? AND bucket = ?",
                (key.subject, key.purpose, key.bucket),
            ).fetchone()
        return _stored_key(row)

    def expired_keys(self, now: dt.datetime, limit: int) -> list[ExpiringKey]:
        with self._cursor() as db:
            rows = db.execute(
                "SELECT kid, subject, purpose, bucket, expires_at FROM data_keys "
                "WHERE expires_at <= ? ORDER BY expires_at, kid LIMIT ?", (_utc(now), limit),
            ).fetchall()
        return [ExpiringKey(r[0], KeyScope(r[1], r[2], r[3]), dt.datetime.fromisoformat(r[4]))
                for r in rows]

    def delete_data_keys(self, kids: Sequence[str]) -> list[str]:
        if not kids:
            return []
        with self._cursor() as db:
            marks = ", ".join("?" for _ in kids)
            deleted = [r[0] for r in db.execute(
                f"DELETE FROM data_keys WHERE kid IN ({marks}) RETURNING kid",  # noqa: S608
                tuple(kids))]
            if deleted:
                _scrub(db)
        return deleted

    def schedule(self, limit: int) -> list[ScheduledExpiry]:
        with self._cursor() as db:
            rows = db.execute(
                "SELECT purpose, bucket, MIN(expires_at), COUNT(*) FROM data_keys "
                "GROUP BY purpose, bucket ORDER BY MIN(expires_at), purpose LIMIT ?", (limit,),
            ).fetchall()
        return [ScheduledExpiry(r[0], r[1], dt.datetime.fromisoformat(r[2]), int(r[3]))
                for r in rows]

    def is_empty(self) -> bool:
        with self._cursor() as db:
            row = db.execute(
                "SELECT (SELECT COUNT(*) FROM secrets) + (SELECT COUNT(*) FROM subject_keys) "
                "+ (SELECT COUNT(*) FROM data_keys)"
            ).fetchone()
        return int(row[0]) == 0

    def rewrap(self, transform: Rewrap) -> int:
        with self._cursor() as db:
            secrets = db.execute("SELECT name, wrapped FROM secrets").fetchall()
            keys = db.execute("SELECT subject, kid, wrapped FROM subject_keys").fetchall()
            data_keys = db.execute(
                "SELECT subject, kid, wrapped, purpose, bucket FROM data_keys").fetchall()
            db.execute("BEGIN IMMEDIATE")
            try:
                for name, wrapped in secrets:
                    new = transform(WrappedRow("secret", name, "", bytes(wrapped)))
                    db.execute("UPDATE secrets SET wrapped = ? WHERE name = ?", (new, name))
                for subject, kid, wrapped in keys:
                    new = transform(WrappedRow("key", subject, kid, bytes(wrapped)))
                    db.execute("UPDATE subject_keys SET wrapped = ? WHERE subject = ? AND kid = ?",
                               (new, subject, kid))
                for subject, kid, wrapped, purpose, bucket in data_keys:
                    new = transform(WrappedRow("data-key", subject, kid, bytes(wrapped),
                                               purpose, bucket))
                    db.execute("UPDATE data_keys SET wrapped = ? WHERE kid = ?", (new, kid))
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            # The old wrapped rows are useless without the old KEK, but scrub them anyway.
            _scrub(db)
        return len(secrets) + len(keys) + len(data_keys)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextlib.contextmanager
    def _cursor(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._db
            except sqlite3.Error as exc:
                raise KeyStoreError(f"key store {self.path}: {exc}") from None


def _scrub(db: sqlite3.Connection) -> None:
    # secure_delete zeroed the rows; VACUUM drops the freed pages and the
    # checkpoint empties the WAL, which still held the pages as they were.
    db.execute("VACUUM")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _utc(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat()


def _stored_key(row: tuple[Any, ...]) -> StoredKey:
    scope = (str(row[4]), str(row[5])) if len(row) > 4 else ("", "")
    return StoredKey(row[0], row[1], bytes(row[2]), dt.datetime.fromisoformat(row[3]), *scope)

