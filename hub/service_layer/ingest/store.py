"""Where ingest records land: the region's federation store, many aggregates per transaction.

Records issued through ingest are the same ``Record`` aggregates the federation
issues one at a time (:meth:`FederationApp.issue_record`), in the same table, so
revocation, receipts and reconciliation treat them alike. eventsourcing's
errors stop here: a unique-key conflict (the batch holds something already
recorded — a redelivery) is ``False`` from :meth:`RecordStore.append`; any other
database failure is :class:`IngestStoreError` and nothing of the batch is recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, PersistenceError

from hub.domain.record import Record
from hub.service_layer.federation.app import FederationApp
from hub.service_layer.ingest.errors import IngestStoreError


class RecordStore:
    """Appends batches of new aggregates' events and answers what is already there."""

    def __init__(self, app: FederationApp) -> None:
        self.app = app

    @property
    def region(self) -> str:
        return self.app.region

    def append(self, events: Sequence[Any]) -> bool:
        """Record ``events`` in one transaction; False (nothing recorded) on a conflict."""
        if not events:
            return True
        try:
            self.app.events.put(list(events))
        except IntegrityError:
            return False
        except PersistenceError as exc:
            raise IngestStoreError(f"the batch could not be recorded: {exc!r}") from None
        return True

    def existing(self, ids: Iterable[UUID]) -> set[UUID]:
        """Which of ``ids`` already have events."""
        recorder = self.app.recorder
        try:
            return {i for i in ids if recorder.select_events(i, limit=1)}
        except PersistenceError as exc:
            raise IngestStoreError(f"cannot read the store: {exc!r}") from None

    def record(self, record_id: UUID) -> Record | None:
        """An issued record, or None."""
        try:
            found = self.app.repository.get(record_id)
        except AggregateNotFoundError:
            return None
        except PersistenceError as exc:
            raise IngestStoreError(f"cannot read record {record_id}: {exc!r}") from None
        return found if isinstance(found, Record) else None

    def close(self) -> None:
        self.app.close()
