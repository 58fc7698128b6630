"""Read the ledger's stored event rows directly from SQLite or PostgreSQL, page by page.

The audit must see what is *stored* — the bytes eventsourcing wrote, after any
cipher, compression or per-subject encryption — not what the application would
decode, so this goes under the application to the table itself:

- SQLite (``eventsourcing.sqlite``): table ``stored_events`` (the library's
  SQLite factory does not prefix the application name); the notification
  position is the ``rowid``; ``originator_id`` is stored as 32 hex digits when
  ids are UUIDs.
- PostgreSQL (``eventsourcing.postgres``): table ``<schema>.ledger_events``
  (``<application name>_events``); the position is ``notification_id``;
  ``originator_id`` is a ``uuid`` column.

Pages are fetched by position (keyset pagination), so memory stays flat
however long the history, and no read transaction is held across pages.
Database errors are translated into :class:`AuditStoreError` here.
"""

from __future__ import annotations

import abc
import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from hub.service_layer.audit.errors import AuditStoreError

RawRow = tuple[int, Any, Any, Any, Any]
"""(position, originator id as stored, originator version, topic, state) — as the driver returns."""

PAGE_SIZE = 5000


@dataclass(frozen=True)
class StoredRow:
    """One stored event row, decoded only as far as naming it requires."""

    position: int
    aggregate_id: str
    version: int
    topic: str | None
    state: bytes | None


class StoreReader(abc.ABC):
    """Reads stored event rows in notification order. Use as a context manager.

    The port; :class:`SQLiteStoreReader` and the PostgreSQL reader are its adapters.
    """

    kind = "store"

    def __init__(self, description: str, uuid_ids: bool, page_size: int) -> None:
        self.description = description
        self.uuid_ids = uuid_ids
        self.page_size = page_size

    def __enter__(self) -> StoreReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abc.abstractmethod
    def close(self) -> None:
        """Release the database connection."""

    def pages(self, after: int = 0, stop: int | None = None) -> Iterator[list[RawRow]]:
        """Rows with ``after < position <= stop`` (no upper bound when stop is None)."""
        while True:
            page = self._page(after, stop)
            if not page:
                return
            yield page
            after = page[-1][0]

    def id_converter(self) -> Callable[[Any], bytes]:
        """A fast function from a stored originator id to its canonical bytes.

        Canonical: the 16 bytes of a UUID, else the id's UTF-8. It raises
        TypeError or ValueError on a value no stored id can have.
        """
        return _utf8 if not self.uuid_ids else bytes.fromhex

    def id_bytes(self, stored_id: Any) -> bytes:
        """The canonical originator id of one stored id (see :meth:`id_converter`)."""
        return self.id_converter()(stored_id)

    def id_text(self, stored_id: Any) -> str:
        """The originator id as people write it (hyphenated UUID), best effort."""
        try:
            return str(UUID(bytes=self.id_bytes(stored_id))) if self.uuid_ids else str(stored_id)
        except (ValueError, TypeError):
            return repr(stored_id)

    def row(self, raw: RawRow) -> StoredRow:
        """Name a raw row (for reports and proofs)."""
        position, stored_id, version, topic, state = raw
        return StoredRow(position, self.id_text(stored_id), version, topic, state)

    def row_at(self, position: int) -> StoredRow | None:
        """The row at exactly ``position``, if there is one."""
        page = self._page(position - 1, position)
        return self.row(page[0]) if page else None

    @abc.abstractmethod
    def _page(self, after: int, stop: int | None) -> list[RawRow]:
        """Rows with ``after < position <= stop``, at most one page of them."""

    @abc.abstractmethod
    def count_before(self, position: int) -> int:
        """How many rows precede ``position``: its leaf index when it is stored."""

    @abc.abstractmethod
    def position_of(self, aggregate_id: str, version: int) -> int | None:
        """The position of one aggregate's event at ``version``, if stored."""

    def _stored_id(self, aggregate_id: str) -> Any:
        if not self.uuid_ids:
            return aggregate_id
        try:
            return UUID(aggregate_id)
        except ValueError:
            raise AuditStoreError(f"{aggregate_id!r} is not an aggregate id (a UUID)") from None


class SQLiteStoreReader(StoreReader):
    """Rows of ``stored_events`` in a SQLite file, opened read-only."""

    kind = "sqlite"
    TABLE = "stored_events"  # written literally in the queries below

    def __init__(self, path: Path, *, uuid_ids: bool = True, page_size: int = PAGE_SIZE) -> None:
        super().__init__(str(path), uuid_ids, page_size)
        if not path.is_file():
            raise AuditStoreError(f"no event store at {path}")
        with self._translated():
            self._conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
            found = self._conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (self.TABLE,)
            ).fetchone()
        # A missing table reads as an empty log, so dropping it is caught as deletion.
        self._exists = found is not None

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def _page(self, after: int, stop: int | None) -> list[RawRow]:
        if not self._exists:
            return []
        bound = stop if stop is not None else 2**63 - 1
        with self._translated():
            return self._conn.execute(
                "SELECT rowid, originator_id, originator_version, topic, state "
                "FROM stored_events WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?",
                (after, bound, self.page_size),
            ).fetchall()

    def count_before(self, position: int) -> int:
        """Rows with a smaller rowid."""
        return self._scalar("SELECT COUNT(*) FROM stored_events WHERE rowid < ?", position) or 0

    def position_of(self, aggregate_id: str, version: int) -> int | None:
        """The rowid of (aggregate, version)."""
        stored = self._stored_id(aggregate_id)
        key = stored.hex if isinstance(stored, UUID) else stored
        return self._scalar(
            "SELECT rowid FROM stored_events WHERE originator_id = ? AND originator_version = ?",
            key,
            version,
        )

    def _scalar(self, query: str, *params: Any) -> int | None:
        if not self._exists:
            return None
        with self._translated():
            found = self._conn.execute(query, params).fetchone()
        return int(found[0]) if found else None

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise AuditStoreError(f"reading {self.description}: {exc}") from exc


def _utf8(stored_id: Any) -> bytes:
    if not isinstance(stored_id, str):
        raise TypeError(f"originator id {stored_id!r} is not text")
    return stored_id.encode()
