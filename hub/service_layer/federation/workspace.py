"""What one recognition transaction reads and changes: aggregates, and the events of new ones.

Almost every attestation a region receives is about a record it has never
seen, and deciding about it opens a recognition with one decision — two events
(:meth:`Recognition.opened_with <hub.domain.recognition.Recognition.opened_with>`).
Building the aggregate through eventsourcing's command methods to get those
two events cost more than verifying the attestation's signature, so a
:class:`Workspace` keeps the events of such new recognitions as they are, and
builds the aggregate from them (``mutate``, as the repository would) only if a
later statement in the same batch concerns the same record. Aggregates that
already existed are loaded once and changed in place. :meth:`Workspace.pending`
lists everything to record, in version order per aggregate, for one
transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.domain import Aggregate, CanMutateAggregate

from hub.service_layer.federation.follower import KnownIds

Event = CanMutateAggregate[UUID]


class Workspace:
    """The aggregates one transaction reads and changes; later steps see earlier changes."""

    def __init__(self, repository: Repository[UUID], known: KnownIds) -> None:
        self._repository = repository
        self._known = known
        self._changed: dict[UUID, Aggregate] = {}
        self._opened: dict[UUID, tuple[type[Aggregate], Sequence[Event]]] = {}

    def find(self, aggregate_id: UUID, kind: type[Any]) -> Any | None:
        """The aggregate as changed in this workspace, else as stored, else None."""
        aggregate = self._changed.get(aggregate_id)
        if aggregate is None:
            if aggregate_id in self._opened:
                aggregate = self._rebuild(aggregate_id)
            elif not self._known.may_exist(aggregate_id):
                return None
            else:
                try:
                    aggregate = self._repository.get(aggregate_id)
                except AggregateNotFoundError:
                    return None
        return aggregate if isinstance(aggregate, kind) else None

    def keep(self, aggregate: Aggregate) -> None:
        """Record ``aggregate``'s pending events with this transaction."""
        self._changed[aggregate.id] = aggregate

    def open(self, kind: type[Aggregate], events: Sequence[Event]) -> None:
        """Record the first events of a new ``kind`` aggregate without building it."""
        self._opened[events[0].originator_id] = (kind, events)

    def pending(self) -> list[tuple[type[Aggregate], Event]]:
        """Every event to record, with the class of its aggregate: new ones' first."""
        pending = [(kind, e) for kind, events in self._opened.values() for e in events]
        for aggregate in self._changed.values():
            pending.extend((type(aggregate), e) for e in aggregate.collect_events())
        return pending

    def _rebuild(self, aggregate_id: UUID) -> Aggregate:
        """The aggregate of opened events, built as the repository would; kept for changes."""
        aggregate = None
        for e in self._opened[aggregate_id][1]:
            aggregate = e.mutate(aggregate)
        if not isinstance(aggregate, Aggregate):
            raise TypeError(f"events of {aggregate_id} did not build an aggregate")
        self._changed[aggregate_id] = aggregate
        return aggregate
