"""What a point-in-time restore leaves out, listed the same way for SQLite and PostgreSQL.

Leaf *i* of the audit tree is the *i*-th row of the ledger's events table in position
order (SQLite ``rowid``, PostgreSQL ``notification_id``), so a checkpoint of tree size
``N`` covers exactly the first ``N`` rows: the cut keeps them and drops every later row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

MAX_AGGREGATES = 50


@dataclass(frozen=True)
class CutOff:
    """What a point-in-time restore left out: the events after the kept position."""

    kept_position: int
    dropped: int
    topics: dict[str, int]
    aggregates: list[str]  # ids (32 hex digits) of the aggregates that lost events (at most 50)


def listing(kept_position: int, rows: Iterable[tuple[Any, Any]]) -> CutOff:
    """The cut-off of the ``(originator id as stored, topic)`` rows after ``kept_position``."""
    topics: Counter[str] = Counter()
    aggregates: list[str] = []
    for originator, topic in rows:
        topics[str(topic)] += 1
        ident = _ident(originator)
        if ident not in aggregates and len(aggregates) < MAX_AGGREGATES:
            aggregates.append(ident)
    return CutOff(kept_position, sum(topics.values()), dict(topics), aggregates)


def _ident(originator: Any) -> str:
    # SQLite stores a UUID as 32 hex digits (text), PostgreSQL as uuid: both read the same.
    if isinstance(originator, UUID):
        return originator.hex
    if isinstance(originator, bytes):
        return originator.hex()
    return str(originator)
