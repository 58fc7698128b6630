"""What a projection is: tables, the event topics it reads, and how a batch of events changes them.

A projection applies a *batch* of events at a time inside the transaction that
also advances its tracking position: replaying a long history then costs one
commit per page of the notification log instead of one per event.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from hub.adapters.projections.store import Tx


@dataclass(frozen=True, slots=True)
class EventHeader:
    """What the notification log says of an event without decoding it: whose, which, what kind.

    Handed to a projection instead of the event for its ``header_topics``: knowing that
    an event happened is all some read models need, and skipping the decode of large
    events (an answer's document) is most of what makes a replay fast.
    """

    originator_id: UUID
    originator_version: int
    topic: str


Event = DomainEventProtocol[Any] | EventHeader


class Projection(ABC):
    """A read model built by following the ledger."""

    name: ClassVar[str]
    """Stable name, used by ``replay --projection`` and as the tracking key."""
    version: ClassVar[int]
    """Schema version: stored positions with another version make the runner rebuild."""
    topics: ClassVar[frozenset[str]]
    """Topics of the events this projection reads; others are not even fetched."""
    header_topics: ClassVar[frozenset[str]] = frozenset()
    """Those of ``topics`` it needs only as :class:`EventHeader` (their handlers must read
    nothing else; an as-of replay, which needs every event's time, passes full events)."""
    tables: ClassVar[tuple[str, ...]]
    """Tables this projection owns (dropped on rebuild)."""

    @abstractmethod
    def create(self, tx: Tx) -> None:
        """Create the tables if they do not exist."""

    @abstractmethod
    def create_indexes(self, tx: Tx) -> None:
        """Create secondary indexes if they do not exist.

        Separate from :meth:`create` because a rebuild loads the tables first and
        indexes them once at the end, which is several times faster than keeping
        the indexes up to date row by row.
        """

    def drop(self, tx: Tx) -> None:
        """Drop every table this projection owns."""
        for table in self.tables:
            tx.execute(f"DROP TABLE IF EXISTS {table}")

    @abstractmethod
    def apply(self, tx: Tx, events: Sequence[Event]) -> None:
        """Apply ``events`` (in ledger order, all of this projection's topics) within ``tx``.

        Events of ``header_topics`` may come as :class:`EventHeader`s.
        """
