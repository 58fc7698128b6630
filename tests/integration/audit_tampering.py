"""Tampering with a ledger the way an intruder would: SQL straight into the event table."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any
from uuid import UUID

from hub.adapters.store.ledger import Arrival, Ledger, Translation

ARRIVAL = Arrival("north/tax", "north/social-security/x", "c-1", "json", "sha256:00", 42, "r")
TRANSLATION = Translation(
    "c@1.0", {"national_id": "19800101-1234"}, "sha256:11", "north/social-security", "s"
)


def record(ledger: Ledger, exchanges: int) -> list[UUID]:
    """Each accepted exchange stores three events: Received, Translated, Routed."""
    return [ledger.record_accepted(ARRIVAL, TRANSLATION) for _ in range(exchanges)]


def delete_row(store_url: str | None, data_dir: Path, position: int) -> None:
    """Delete the stored event at notification ``position``, bypassing the application."""
    execute(store_url, data_dir, "DELETE FROM stored_events WHERE rowid = ?",
            "DELETE FROM ledger_events WHERE notification_id = ?", position)


def execute(store_url: str | None, data_dir: Path, sqlite_sql: str, pg_sql: str, *args: Any) -> Any:
    """Run one statement directly against the event table; fetch one row if it returns any."""
    if store_url is None:
        with sqlite3.connect(data_dir / "ledger.sqlite3") as conn:
            row = conn.execute(sqlite_sql, args).fetchone()
        conn.close()
        return row
    import psycopg

    with psycopg.connect(store_url, autocommit=True) as conn:
        cursor = conn.execute(pg_sql.replace("?", "%s"), args)
        return cursor.fetchone() if cursor.description else None


def state_at(store_url: str | None, data_dir: Path, position: int) -> bytes:
    row = execute(
        store_url,
        data_dir,
        "SELECT state FROM stored_events WHERE rowid = ?",
        "SELECT state FROM ledger_events WHERE notification_id = ?",
        position,
    )
    return bytes(row[0])


def set_state(store_url: str | None, data_dir: Path, position: int, state: bytes) -> None:
    execute(
        store_url,
        data_dir,
        "UPDATE stored_events SET state = ? WHERE rowid = ?",
        "UPDATE ledger_events SET state = ? WHERE notification_id = ?",
        state,
        position,
    )
