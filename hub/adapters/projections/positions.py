"""Tracking positions: how far in the ledger each projection has applied, kept with its rows.

One row per projection: the ledger position (notification id) applied last,
the projection's schema version (a different version means rebuild), and,
for an as-of view, the moment it shows. Advancing is a compare-and-set
(:func:`claim`) inside the same transaction as the read-model rows: if
another worker moved the position first, the update matches nothing and the
caller rolls its batch back, so an event is never applied twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hub.adapters.projections.store import Tx

CREATE = (
    "CREATE TABLE IF NOT EXISTS projection_position ("
    "name TEXT PRIMARY KEY, position BIGINT NOT NULL, version INTEGER NOT NULL, as_of TEXT)"
)


@dataclass(frozen=True)
class Position:
    """Where one projection stands."""

    name: str
    position: int
    version: int
    as_of: dt.datetime | None


def create(tx: Tx) -> None:
    """Create the positions table if this store has none yet."""
    tx.execute(CREATE)


def read_all(tx: Tx) -> dict[str, Position]:
    """Every projection's position, by name."""
    rows = tx.query("SELECT name, position, version, as_of FROM projection_position")
    return {
        name: Position(name, int(position), int(version), _moment(as_of))
        for name, position, version, as_of in rows
    }


def reset(tx: Tx, name: str, version: int, as_of: dt.datetime | None = None) -> None:
    """Start ``name`` again from the beginning of the ledger (its rows must be empty)."""
    tx.execute(
        "INSERT INTO projection_position (name, position, version, as_of) VALUES (?, 0, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET position = 0, version = excluded.version, "
        "as_of = excluded.as_of",
        (name, version, as_of.isoformat() if as_of else None),
    )


def claim(tx: Tx, name: str, expected: int, new: int) -> bool:
    """Move ``name`` from ``expected`` to ``new``; False if someone else moved it first."""
    changed = tx.execute(
        "UPDATE projection_position SET position = ? WHERE name = ? AND position = ?",
        (new, name, expected),
    )
    return changed == 1


def _moment(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None
