"""Read-model databases: a SQLite file in the data folder, or the ledger's PostgreSQL database.

Every projection keeps its rows *and* its tracking position in one of these
and writes both in one transaction, so a crash never applies an event twice
or skips one. SQL is written once, with ``?`` placeholders and portable types
(TEXT, BIGINT, DOUBLE PRECISION, ``INSERT ... ON CONFLICT``); the PostgreSQL
store rewrites the placeholders for psycopg. Database errors become
:class:`ReadStoreError` here and nowhere else.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from hub.adapters.projections.errors import ReadStoreError
from hub.adapters.store.selection import describe_store, postgres_environment

SQLITE_FILE = "projections.sqlite3"
AS_OF_FOLDER = "as-of"


class Tx:
    """One open transaction; SQL uses ``?`` placeholders whatever the back end."""

    def __init__(self, cursor: Any, postgres: bool) -> None:
        self._cursor = cursor
        self._postgres = postgres

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the number of rows it changed."""
        self._cursor.execute(_to_pyformat(sql) if self._postgres else sql, params)
        return int(self._cursor.rowcount)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each parameter row."""
        rows = list(rows)
        if rows:
            self._cursor.executemany(_to_pyformat(sql) if self._postgres else sql, rows)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a SELECT and return every row."""
        self._cursor.execute(_to_pyformat(sql) if self._postgres else sql, params)
        return list(self._cursor.fetchall())


@lru_cache(maxsize=256)
def _to_pyformat(sql: str) -> str:
    # Our SQL never contains a literal '?' or '%', so the rewrite is exact.
    return sql.replace("?", "%s")


class ReadStore(ABC):
    """A database that holds read models and their tracking positions."""

    description: str

    @abstractmethod
    def transaction(self, *, write: bool = True) -> contextlib.AbstractContextManager[Tx]:
        """A transaction: committed when the block ends, rolled back if it raises."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""


class SQLiteReadStore(ReadStore):
    """Read models in a SQLite file (WAL, so readers never wait for the follower)."""

    def __init__(self, path: Path, *, lock_timeout_s: float = 10.0) -> None:
        self.path = path
        self.description = str(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            # One connection shared by the follower thread and readers, serialised by _lock.
            self._conn = sqlite3.connect(
                path, timeout=lock_timeout_s, isolation_level=None, check_same_thread=False
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            raise ReadStoreError(f"cannot open read models in {path}: {exc}") from exc

    @contextlib.contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        with self._lock:
            try:
                # IMMEDIATE takes the write lock up front: two writers queue, never deadlock.
                self._conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            except sqlite3.Error as exc:
                raise ReadStoreError(f"{self.path}: cannot begin: {exc}") from exc
            try:
                yield Tx(self._conn.cursor(), postgres=False)
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise ReadStoreError(f"{self.path}: {exc}") from exc
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._conn.execute("ROLLBACK")

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class PostgresReadStore(ReadStore):
    """Read models as tables in the ledger's PostgreSQL database, with explicit timeouts."""

    def __init__(self, url: str) -> None:
        env = postgres_environment(url)
        options = (
            f"-c lock_timeout={int(env['POSTGRES_LOCK_TIMEOUT']) * 1000} "
            f"-c idle_in_transaction_session_timeout="
            f"{int(env['POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT']) * 1000} "
            "-c statement_timeout=60000"
        )
        if env.get("POSTGRES_SCHEMA"):
            options += f" -c search_path={env['POSTGRES_SCHEMA']}"
        self._connect_args: dict[str, Any] = {
            "host": env["POSTGRES_HOST"],
            "port": int(env["POSTGRES_PORT"]),
            "dbname": env["POSTGRES_DBNAME"],
            "user": env["POSTGRES_USER"],
            "password": env["POSTGRES_PASSWORD"] or None,
            "connect_timeout": int(env["POSTGRES_CONNECT_TIMEOUT"]),
            "options": options,
            "autocommit": True,
        }
        self.description = describe_store(url, Path())
        self._lock = threading.Lock()
        self._conn: Any = None

    @contextlib.contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        import psycopg

        with self._lock:
            try:
                conn = self._connection()
                with conn.transaction(), conn.cursor() as cursor:
                    yield Tx(cursor, postgres=True)
            except psycopg.Error as exc:
                if self._conn is not None and (self._conn.closed or self._conn.broken):
                    self._conn = None  # reconnect on the next transaction
                raise ReadStoreError(f"read models in {self.description}: {exc}") from exc

    def _connection(self) -> Any:
        import psycopg

        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(**self._connect_args)
        return self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def open_read_store(store_url: str | None, data_dir: Path) -> ReadStore:
    """The live read models: beside the ledger (its PostgreSQL database, or a file in DIR)."""
    if store_url and store_url.split(":", 1)[0] in ("postgresql", "postgres"):
        return PostgresReadStore(store_url)
    return SQLiteReadStore(data_dir / SQLITE_FILE)


def as_of_path(data_dir: Path, moment: dt.datetime) -> Path:
    """Where the as-of view of ``moment`` lives: ``DIR/as-of/<UTC stamp>.sqlite3``."""
    stamp = moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return data_dir / AS_OF_FOLDER / f"{stamp}.sqlite3"
