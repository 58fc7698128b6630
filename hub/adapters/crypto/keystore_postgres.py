"""The subject key store in PostgreSQL: schema ``hub_privacy`` of the event store's database.

Why PostgreSQL rather than a local file, and what deletion can and cannot
scrub there, is explained in :mod:`hub.adapters.crypto.keystore`. Timeouts are
explicit (connect, pool wait, lock, statement), as for the event store.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from hub.adapters.crypto.errors import KeyStoreError
from hub.adapters.crypto.keystore import (
    ExpiringKey,
    Rewrap,
    ScheduledExpiry,
    StoredKey,
    WrappedRow,
)
from hub.domain.retention import KeyScope

SCHEMA = "hub_privacy"
_CREATE = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE IF NOT EXISTS {SCHEMA}.secrets (name text PRIMARY KEY, wrapped bytea NOT NULL);
CREATE TABLE IF NOT EXISTS {SCHEMA}.subject_keys (
    subject text PRIMARY KEY,
    kid text NOT NULL,
    wrapped bytea NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.data_keys (
    kid text PRIMARY KEY,
    subject text NOT NULL,
    purpose text NOT NULL,
    bucket text NOT NULL,
    wrapped bytea NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    UNIQUE (subject, purpose, bucket)
);
CREATE INDEX IF NOT EXISTS data_keys_expiry ON {SCHEMA}.data_keys (expires_at);
"""
_SELECT_KEY = (
    f"SELECT subject, kid, wrapped, created_at FROM {SCHEMA}.subject_keys "  # noqa: S608
    "WHERE subject = %s"
)
_SELECT_DATA_KEY = (
    f"SELECT subject, kid, wrapped, created_at, purpose, bucket FROM {SCHEMA}.data_keys "  # noqa: S608
    "WHERE subject = %s AND purpose = %s AND bucket = %s"
)


class PostgresKeyStore:
    """The key store in PostgreSQL, shared by every hub worker of a region."""

    def __init__(self, url: str, *, timeout_s: float = 5.0) -> None:
        import psycopg
        import psycopg_pool

        self._errors: tuple[type[Exception], ...] = (psycopg.Error, psycopg_pool.PoolTimeout)
        parts = urlsplit(url)
        # The event store's ?schema= option is not a libpq parameter.
        conninfo = urlunsplit(parts._replace(query="", fragment=""))
        self._where = f"{parts.hostname}:{parts.port or 5432}{parts.path}"
        self._pool = psycopg_pool.ConnectionPool(
            conninfo,
            kwargs={"autocommit": True, "connect_timeout": max(1, int(timeout_s))},
            min_size=1,
            max_size=4,
            timeout=timeout_s,
            configure=_configure,
            check=psycopg_pool.ConnectionPool.check_connection,
            name="subject-keys",
            open=False,
        )
        try:
            self._pool.open(wait=True, timeout=timeout_s)
            with self._pool.connection() as conn, conn.transaction():
                # Two workers starting at once would race on CREATE SCHEMA.
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (SCHEMA,))
                conn.execute(_CREATE)
        except self._errors as exc:
            self._pool.close()
            raise KeyStoreError(f"cannot open the key store at {self._where}: {exc}") from None

    def get_secret(self, name: str) -> bytes | None:
        with self._connection() as conn:
            row = conn.execute(
                f"SELECT wrapped FROM {SCHEMA}.secrets WHERE name = %s",  # noqa: S608
                (name,),
            ).fetchone()
        return None if row is None else bytes(row[0])

    def add_secret(self, name: str, wrapped: bytes) -> bytes:
        with self._connection() as conn:
            conn.execute(
                f"INSERT INTO {SCHEMA}.secrets (name, wrapped) VALUES (%s, %s) "  # noqa: S608
                "ON CONFLICT DO NOTHING",
                (name, wrapped),
            )
            row = conn.execute(
                f"SELECT wrapped FROM {SCHEMA}.secrets WHERE name = %s",  # noqa: S608
                (name,),
            ).fetchone()
        return bytes(row[0])

    def put_secret(self, name: str, wrapped: bytes) -> None:
        with self._connection() as conn:
            conn.execute(
                f"INSERT INTO {SCHEMA}.secrets (name, wrapped) VALUES (%s, %s) "  # noqa: S608
                "ON CONFLICT (name) DO UPDATE SET wrapped = excluded.wrapped",
                (name, wrapped),
            )

    def get_key(self, subject: str) -> StoredKey | None:
        with self._connection() as conn:
            row = conn.execute(_SELECT_KEY, (subject,)).fetchone()
        return None if row is None else _stored_key(row)

    def add_key(self, key: StoredKey) -> StoredKey:
        with self._connection() as conn:
            conn.execute(
                f"INSERT INTO {SCHEMA}.subject_keys (subject, kid, wrapped, created_at) "  # noqa: S608
                "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (key.subject, key.kid, key.wrapped, key.created_at),
            )
            row = conn.execute(_SELECT_KEY, (key.subject,)).fetchone()
        return _stored_key(row)

    def delete_key(self, subject: str) -> list[str]:
        with self._connection() as conn:
            with conn.transaction():
                own = conn.execute(
                    f"DELETE FROM {SCHEMA}.subject_keys WHERE subject = %s "  # noqa: S608
                    "RETURNING kid", (subject,)).fetchall()
                scoped = conn.execute(
                    f"DELETE FROM {SCHEMA}.data_keys WHERE subject = %s "  # noqa: S608
                    "RETURNING kid", (subject,)).fetchall()
            # Prunes the dead rows so their space is reused soon; see the module docstring.
            if own:
                conn.execute(f"VACUUM {SCHEMA}.subject_keys")
            if scoped:
                conn.execute(f"VACUUM {SCHEMA}.data_keys")
        return [r[0] for r in own + scoped]

    def key_ids(self, subject: str) -> list[str]:
        with self._connection() as conn:
            rows = conn.execute(
                f"SELECT kid FROM {SCHEMA}.subject_keys WHERE subject = %s UNION ALL "  # noqa: S608
                f"SELECT kid FROM {SCHEMA}.data_keys WHERE subject = %s", (subject, subject),
            ).fetchall()
        return [r[0] for r in rows]

    def get_data_key(self, scope: KeyScope) -> StoredKey | None:
        with self._connection() as conn:
            row = conn.execute(
                _SELECT_DATA_KEY, (scope.subject, scope.purpose, scope.bucket)).fetchone()
        return None if row is None else _stored_key(row)

    def add_data_key(self, key: StoredKey, expires_at: dt.datetime) -> StoredKey:
        with self._connection() as conn:
            conn.execute(
                f"INSERT INTO {SCHEMA}.data_keys (kid, subject, purpose, bucket, "  # noqa: S608
                "wrapped, created_at, expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT DO NOTHING",
                (key.kid, key.subject, key.purpose, key.bucket, key.wrapped, key.created_at,
                 expires_at),
            )
            row = conn.execute(
                _SELECT_DATA_KEY, (key.subject, key.purpose, key.bucket)).fetchone()
        return _stored_key(row)

    def expired_keys(self, now: dt.datetime, limit: int) -> list[ExpiringKey]:
        with self._connection() as conn:
            rows = conn.execute(
                f"SELECT kid, subject, purpose, bucket, expires_at FROM {SCHEMA}.data_keys "  # noqa: S608
                "WHERE expires_at <= %s ORDER BY expires_at, kid LIMIT %s", (now, limit),
            ).fetchall()
        return [ExpiringKey(r[0], KeyScope(r[1], r[2], r[3]), r[4]) for r in rows]

    def delete_data_keys(self, kids: Sequence[str]) -> list[str]:
        if not kids:
            return []
        with self._connection() as conn:
            rows = conn.execute(
                f"DELETE FROM {SCHEMA}.data_keys WHERE kid = ANY(%s) RETURNING kid",  # noqa: S608
                (list(kids),),
            ).fetchall()
            if rows:
                conn.execute(f"VACUUM {SCHEMA}.data_keys")
        return [r[0] for r in rows]

    def schedule(self, limit: int) -> list[ScheduledExpiry]:
        with self._connection() as conn:
            rows = conn.execute(
                f"SELECT purpose, bucket, MIN(expires_at), COUNT(*) FROM {SCHEMA}.data_keys "  # noqa: S608
                "GROUP BY purpose, bucket ORDER BY MIN(expires_at), purpose LIMIT %s", (limit,),
            ).fetchall()
        return [ScheduledExpiry(r[0], r[1], r[2], int(r[3])) for r in rows]

    def is_empty(self) -> bool:
        with self._connection() as conn:
            row = conn.execute(
                f"SELECT (SELECT COUNT(*) FROM {SCHEMA}.secrets) "  # noqa: S608
                f"+ (SELECT COUNT(*) FROM {SCHEMA}.subject_keys) "
                f"+ (SELECT COUNT(*) FROM {SCHEMA}.data_keys)"
            ).fetchone()
        return int(row[0]) == 0

    def rewrap(self, transform: Rewrap) -> int:
        # SCHEMA is our own constant, never input: the f-strings below inject nothing.
        with self._connection() as conn, conn.transaction():
            secrets = conn.execute(
                f"SELECT name, wrapped FROM {SCHEMA}.secrets FOR UPDATE"  # noqa: S608
            ).fetchall()
            keys = conn.execute(
                f"SELECT subject, kid, wrapped FROM {SCHEMA}.subject_keys FOR UPDATE"  # noqa: S608
            ).fetchall()
            for name, wrapped in secrets:
                new = transform(WrappedRow("secret", name, "", bytes(wrapped)))
                conn.execute(
                    f"UPDATE {SCHEMA}.secrets SET wrapped = %s WHERE name = %s",  # noqa: S608
                    (new, name))
            for subject, kid, wrapped in keys:
                new = transform(WrappedRow("key", subject, kid, bytes(wrapped)))
                conn.execute(
                    f"UPDATE {SCHEMA}.subject_keys SET wrapped = %s "  # noqa: S608
                    "WHERE subject = %s AND kid = %s", (new, subject, kid))
            data_keys = conn.execute(
                f"SELECT subject, kid, wrapped, purpose, bucket FROM {SCHEMA}.data_keys "  # noqa: S608
                "FOR UPDATE").fetchall()
            for subject, kid, wrapped, purpose, bucket in data_keys:
                new = transform(WrappedRow("data-key", subject, kid, bytes(wrapped), purpose,
                                           bucket))
                conn.execute(
                    f"UPDATE {SCHEMA}.data_keys SET wrapped = %s WHERE kid = %s",  # noqa: S608
                    (new, kid))
        return len(secrets) + len(keys) + len(data_keys)

    def close(self) -> None:
        self._pool.close()

    @contextlib.contextmanager
    def _connection(self) -> Iterator[Any]:
        try:
            with self._pool.connection() as conn:
                yield conn
        except self._errors as exc:
            raise KeyStoreError(f"key store at {self._where}: {exc}") from None


def _configure(conn: Any) -> None:
    # The library's defaults wait forever; a key lookup must not.
    conn.execute("SET lock_timeout = '5s'")
    conn.execute("SET statement_timeout = '60s'")


def _stored_key(row: tuple[Any, ...]) -> StoredKey:
    scope = (str(row[4]), str(row[5])) if len(row) > 4 else ("", "")
    return StoredKey(row[0], row[1], bytes(row[2]), row[3], *scope)
