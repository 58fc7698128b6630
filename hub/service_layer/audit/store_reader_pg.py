"""The PostgreSQL side of :mod:`hub.service_layer.audit.store_reader` (psycopg is an optional
extra).

Rows come from ``<schema>.<app>_events`` ordered by ``notification_id``. The
connection is in autocommit mode (no transaction held across pages) with an
explicit connect timeout and statement timeout, since the defaults wait forever.
"""

from __future__ import annotations

import contextlib
import operator
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from hub.service_layer.audit.errors import AuditStoreError
from hub.service_layer.audit.store_reader import PAGE_SIZE, RawRow, StoreReader

STATEMENT_TIMEOUT_MS = 120_000


class PostgresStoreReader(StoreReader):
    """Rows of the ledger's events table in PostgreSQL."""

    kind = "postgresql"

    def __init__(
        self,
        env: Mapping[str, str],
        table: str,
        *,
        uuid_ids: bool = True,
        page_size: int = PAGE_SIZE,
    ) -> None:
        schema = env.get("POSTGRES_SCHEMA") or "public"
        super().__init__(
            f"postgresql://{env['POSTGRES_USER']}@{env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}"
            f"/{env['POSTGRES_DBNAME']} ({schema}.{table})",
            uuid_ids,
            page_size,
        )
        try:
            import psycopg
            from psycopg import sql
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise AuditStoreError("PostgreSQL needs the postgres extra (psycopg)") from exc
        self._errors = psycopg.Error
        self._name = sql.Identifier(schema, table)
        self._sql = sql
        with self._translated():
            self._conn = psycopg.connect(
                host=env["POSTGRES_HOST"],
                port=int(env["POSTGRES_PORT"]),
                dbname=env["POSTGRES_DBNAME"],
                user=env["POSTGRES_USER"],
                password=env.get("POSTGRES_PASSWORD") or None,
                connect_timeout=int(env.get("POSTGRES_CONNECT_TIMEOUT", "5")),
                options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
                autocommit=True,
            )
            found = self._conn.execute(
                "SELECT to_regclass(%s)", (self._name.as_string(self._conn),)
            ).fetchone()
        # A missing table reads as an empty log, so dropping it is caught as deletion.
        self._exists = bool(found and found[0])

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def id_converter(self) -> Callable[[Any], bytes]:
        """``uuid`` columns arrive as UUID objects: their 16 bytes are the canonical id."""
        return operator.attrgetter("bytes") if self.uuid_ids else super().id_converter()

    def _page(self, after: int, stop: int | None) -> list[RawRow]:
        if not self._exists:
            return []
        bound = stop if stop is not None else 2**63 - 1
        query = self._sql.SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {} WHERE notification_id > %s AND notification_id <= %s "
            "ORDER BY notification_id LIMIT %s"
        ).format(self._name)
        with self._translated(), self._conn.cursor(binary=True) as cursor:
            cursor.execute(query, (after, bound, self.page_size))
            return [tuple(row) for row in cursor.fetchall()]

    def count_before(self, position: int) -> int:
        """Rows with a smaller notification id."""
        return self._scalar("SELECT COUNT(*) FROM {} WHERE notification_id < %s", position) or 0

    def position_of(self, aggregate_id: str, version: int) -> int | None:
        """The notification id of (aggregate, version)."""
        return self._scalar(
            "SELECT notification_id FROM {} WHERE originator_id = %s AND originator_version = %s",
            self._stored_id(aggregate_id),
            version,
        )

    def _scalar(self, query: str, *params: Any) -> int | None:
        if not self._exists:
            return None
        statement = self._sql.SQL(query).format(self._name)
        with self._translated():
            found = self._conn.execute(statement, params).fetchone()
        return int(found[0]) if found else None

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except self._errors as exc:
            raise AuditStoreError(f"reading {self.description}: {exc}") from exc
