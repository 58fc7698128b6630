"""The subject key store in PostgreSQL: schema ``hub_privacy`` of the event store's database.

Why PostgreSQL rather than a local file, and what deletion can and cannot
scrub there, is explained in :mod:`hub.adapters.crypto.keystore`. Timeouts are
explicit (connect, pool wait, lock, statement), as for the event store.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from hub.adapters.crypto.errors import KeyStoreError
from hub.adapters.crypto.keystore import Rewrap, StoredKey, WrappedRow

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
"""
_SELECT_KEY = (
    f"SELECT subject, kid, wrapped, created_at FROM {SCHEMA}.subject_keys "  # noqa: S608
    "WHERE subject = %s"
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
            rows = conn.execute(
                f"DELETE FROM {SCHEMA}.subject_keys WHERE subject = %s RETURNING kid",  # noqa: S608
                (subject,),
            ).fetchall()
            if rows:
                # Prunes the dead row so its space is reused soon; see the module docstring.
                conn.execute(f"VACUUM {SCHEMA}.subject_keys")
        return [r[0] for r in rows]

    def is_empty(self) -> bool:
        with self._connection() as conn:
            row = conn.execute(
                f"SELECT (SELECT COUNT(*) FROM {SCHEMA}.secrets) "  # noqa: S608
                f"+ (SELECT COUNT(*) FROM {SCHEMA}.subject_keys)"
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
        return len(secrets) + len(keys)

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


def _stored_key(row: tuple[str, str, bytes, dt.datetime]) -> StoredKey:
    return StoredKey(row[0], row[1], bytes(row[2]), row[3])
