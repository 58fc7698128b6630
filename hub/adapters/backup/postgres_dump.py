"""PostgreSQL's part of backup and restore: ``pg_dump`` out, ``pg_restore`` in, streamed.

The dump is ``pg_dump --format=custom`` of the region's whole database (the
event store, the subject keys in ``hub_privacy``, the read models), read from
the tool's standard output straight into the sealed writer; the restore feeds
the opened chunks to ``pg_restore``'s standard input. No plaintext copy of the
database touches the disk on either side. ``pg_dump`` dumps one snapshot
(a repeatable-read transaction, exported so that the ledger's extent is counted in
the same one), so the hub keeps writing while it runs.

The password travels in ``PGPASSWORD``, never on a command line.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from hub.adapters.backup.cutoff import CutOff, listing
from hub.adapters.backup.errors import BackupError, BackupToolError, RestoreTargetError
from hub.adapters.store.selection import postgres_environment

_READ = 1 << 20
_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


class Sink(Protocol):
    """Where dumped bytes go (a sealed writer)."""

    def write(self, data: bytes) -> int: ...


def dump_database(url: str, sink: Sink, *, schema: str | None = None,
                  timeout_s: float = 3600.0) -> tuple[int, int]:
    """Stream ``pg_dump --format=custom`` of the database at ``url`` (only ``schema``, when
    named) into ``sink``; return (events, last position) of the ledger in the very snapshot
    dumped ((0, 0) when the database holds no ledger).

    A repeatable-read transaction exports its snapshot, counts the ledger in it and hands
    it to ``pg_dump --snapshot``, so the counts are the dump's own, not the ledger's a
    moment later while the hub goes on writing."""
    env = postgres_environment(url)
    with _connection(url) as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        conn.execute("SET LOCAL idle_in_transaction_session_timeout = 0")  # while pg_dump runs
        (snapshot,) = conn.execute("SELECT pg_export_snapshot()").fetchone()
        extent = _extent(conn, _schema(url))
        only = [f"--schema={schema}"] if schema else []
        with _tool("pg_dump", ["--format=custom", "--no-owner", "--no-privileges",
                               f"--snapshot={snapshot}", *only], env,
                   stdin=False, timeout_s=timeout_s) as proc:
            assert proc.stdout is not None
            while chunk := proc.stdout.read(_READ):
                sink.write(chunk)
    return extent


def restore_database(url: str, chunks: Iterable[bytes], *, timeout_s: float = 3600.0) -> None:
    """Feed a custom-format dump, chunk by chunk, to ``pg_restore`` into the database at
    ``url`` (which must be empty: :func:`ensure_empty`)."""
    env = postgres_environment(url)
    with _tool("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error",
                              "--single-transaction"], env, stdin=True,
               timeout_s=timeout_s) as proc:
        assert proc.stdin is not None
        try:
            for chunk in chunks:
                proc.stdin.write(chunk)
        except BrokenPipeError:
            pass  # pg_restore stopped early: its exit status and words say why
        finally:
            proc.stdin.close()


def ensure_empty(url: str) -> None:
    """RestoreTargetError unless the database at ``url`` has no table outside the system's."""
    with _connection(url) as conn:
        rows = conn.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN (%s, %s, %s) ORDER BY 1 LIMIT 3",
            _SYSTEM_SCHEMAS).fetchall()
        (count,) = conn.execute(
            "SELECT COUNT(*) FROM information_schema.tables "
            "WHERE table_schema NOT IN (%s, %s, %s)", _SYSTEM_SCHEMAS).fetchone()
    if count:
        names = ", ".join(r[0] for r in rows)
        raise RestoreTargetError(
            f"the database {_describe(url)} is not empty: it has {count} tables (e.g. {names}); "
            "restore into an empty database (createdb a new one)")


def unanswered_routed(url: str, routed: tuple[str, ...], answers: tuple[str, ...]) -> int | None:
    """The first position of a ``routed`` event whose exchange has no ``answers`` event."""
    from psycopg import sql

    events = sql.Identifier(_schema(url), "ledger_events")
    query = sql.SQL(
        "SELECT MIN(notification_id) FROM {t} WHERE topic = ANY(%s) AND originator_id NOT IN "
        "(SELECT originator_id FROM {t} WHERE topic = ANY(%s))").format(t=events)
    with _connection(url) as conn:
        row = conn.execute(query, (list(routed), list(answers))).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def cut_after_leaf(url: str, tree_size: int) -> CutOff:
    """Keep the first ``tree_size`` events of the ledger in the database at ``url`` (leaf *i*
    is the *i*-th row by ``notification_id``); drop the rest and every tracked position
    beyond the kept one, in one transaction. Returns what was dropped."""
    from psycopg import sql

    schema = _schema(url)
    events = sql.Identifier(schema, "ledger_events")
    tracking = sql.Identifier(schema, "ledger_tracking")
    with _connection(url) as conn, conn.transaction():
        conn.execute(sql.SQL("LOCK TABLE {t} IN EXCLUSIVE MODE").format(t=events))
        found = conn.execute(sql.SQL(
            "SELECT notification_id FROM {t} ORDER BY notification_id LIMIT 1 OFFSET %s"
        ).format(t=events), (tree_size - 1,)).fetchone() if tree_size else (0,)
        if found is None:
            raise BackupError(f"the restored ledger holds fewer than {tree_size} events")
        kept = int(found[0])
        cut = listing(kept, conn.execute(sql.SQL(
            "SELECT originator_id, topic FROM {t} WHERE notification_id > %s "
            "ORDER BY notification_id").format(t=events), (kept,)))
        conn.execute(sql.SQL("DELETE FROM {t} WHERE notification_id > %s").format(t=events),
                     (kept,))
        if _exists(conn, schema, "ledger_tracking"):  # eventsourcing's own marker row stays
            conn.execute(sql.SQL("DELETE FROM {t} WHERE notification_id > %s "
                                 "AND application_name != '__migration__'").format(t=tracking),
                         (kept,))
    return cut


def _exists(conn: Any, schema: str, table: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s)", (f'"{schema}"."{table}"',)).fetchone()
    return bool(row and row[0])


def set_tracking(url: str, application: str, position: int) -> None:
    """Set ``application``'s tracked position in the ledger's tracking table (0: none);
    nothing when the table was never made (eventsourcing makes it with the first reader)."""
    from psycopg import sql

    schema = _schema(url)
    table = sql.Identifier(schema, "ledger_tracking")
    with _connection(url) as conn:
        if not _exists(conn, schema, "ledger_tracking"):
            return  # no reader ever tracked a position: the relay starts from the beginning
        conn.execute(sql.SQL("DELETE FROM {t} WHERE application_name = %s").format(t=table),
                     (application,))
        if position > 0:
            conn.execute(sql.SQL("INSERT INTO {t} (application_name, notification_id) "
                                 "VALUES (%s, %s)").format(t=table), (application, position))


def _extent(conn: Any, schema: str) -> tuple[int, int]:
    from psycopg import sql

    if not _exists(conn, schema, "ledger_events"):
        return (0, 0)
    events = sql.Identifier(schema, "ledger_events")
    row = conn.execute(sql.SQL("SELECT COUNT(*), COALESCE(MAX(notification_id), 0) "
                               "FROM {t}").format(t=events)).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _schema(url: str) -> str:
    return postgres_environment(url).get("POSTGRES_SCHEMA") or "public"


@contextlib.contextmanager
def _connection(url: str) -> Iterator[Any]:
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - the postgres extra is not installed
        raise BackupToolError("PostgreSQL needs the postgres extra (psycopg)") from exc
    env = postgres_environment(url)
    try:
        with psycopg.connect(host=env["POSTGRES_HOST"], port=int(env["POSTGRES_PORT"]),
                             dbname=env["POSTGRES_DBNAME"], user=env["POSTGRES_USER"],
                             password=env["POSTGRES_PASSWORD"] or None, connect_timeout=5,
                             autocommit=True) as conn:
            yield conn
    except psycopg.Error as exc:
        raise BackupToolError(f"PostgreSQL {_describe(url)}: {exc}".strip()) from exc


@contextlib.contextmanager
def _tool(name: str, args: list[str], env: dict[str, str], *, stdin: bool,
          timeout_s: float) -> Iterator[subprocess.Popen[bytes]]:
    binary = shutil.which(name)
    if binary is None:
        raise BackupToolError(f"{name} is not installed (PostgreSQL client tools are needed)")
    conninfo = (f"host={env['POSTGRES_HOST']} port={env['POSTGRES_PORT']} "
                f"user={env['POSTGRES_USER']} dbname={env['POSTGRES_DBNAME']}")
    tool_env = {"PGPASSWORD": env["POSTGRES_PASSWORD"], "PGCONNECT_TIMEOUT": "5",
                "PATH": "/usr/bin:/bin", "LC_ALL": "C"}
    proc = subprocess.Popen(
        [binary, *args, f"--dbname={conninfo}"], env=tool_env,
        stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
        stdout=subprocess.DEVNULL if stdin else subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        yield proc
    except BaseException:
        proc.kill()
        proc.wait(timeout=10)
        raise
    if proc.stdin is not None and not proc.stdin.closed:
        proc.stdin.close()
    assert proc.stderr is not None
    err = proc.stderr.read()  # the tool's words; it exits once its input or output ended
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
        raise BackupToolError(f"{name} did not finish within {timeout_s:.0f} s") from None
    if proc.returncode != 0:
        words = err.decode(errors="replace").strip()[-800:]
        raise BackupToolError(f"{name} failed (exit {proc.returncode}): {words}")


def _describe(url: str) -> str:
    env = postgres_environment(url)
    return f"{env['POSTGRES_USER']}@{env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}/" \
           f"{env['POSTGRES_DBNAME']}"
