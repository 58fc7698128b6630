"""Forgetting a data subject: destroy their keys, and record that it was done.

``SubjectForgotten`` is the one event of an ``Erasure`` aggregate: one
aggregate per act, because a person may be forgotten, come back (a new query
about them gets a new key), and be forgotten again. Its payload holds the
subject *reference* and the ids of the keys destroyed, never the national id:
the record of an erasure must not itself be personal data.

The erasure is recorded first, the key destroyed second: should the process die
in between, the ledger claims an erasure that did not happen yet, and running
the command again completes it — whereas the other order could destroy a key
without a trace in the ledger.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from hub.adapters.crypto.keyring import SubjectKeyring

if TYPE_CHECKING:
    from hub.adapters.store.ledger import Ledger


class Erasure(Aggregate):
    """One act of forgetting a data subject."""

    TOPIC = "interop-hub:erasure"

    class Event(Aggregate.Event):
        """Base of every erasure event."""

        TOPIC = "interop-hub:erasure.event"

    class Created(Event, Aggregate.Created):
        """Base of the creation event (the library requires one per aggregate)."""

        TOPIC = "interop-hub:erasure.created"

    class SubjectForgotten(Created):
        """The subject's key was (about to be) destroyed: their sealed data reads as erased."""

        TOPIC = "interop-hub:erasure.subject-forgotten"
        class_version = 1
        data_subject: str
        key_ids: list[str]

    @event(SubjectForgotten)
    def __init__(self, data_subject: str, key_ids: list[str]) -> None:
        self.data_subject = data_subject
        self.key_ids = key_ids


@dataclass(frozen=True)
class ErasureRecord:
    """One recorded erasure of a subject."""

    erasure_id: UUID
    at: dt.datetime
    subject: str
    key_ids: list[str]


def forget_subject(ledger: Ledger, keyring: SubjectKeyring, subject: str) -> ErasureRecord:
    """Record the erasure of ``subject`` (a reference), then destroy ALL their keys: their own
    and every retention scope's (hub.domain.retention)."""
    erasure = Erasure(data_subject=subject, key_ids=keyring.key_ids(subject))
    ledger.save(erasure)
    keyring.forget(subject)
    return ErasureRecord(erasure.id, erasure.created_on, subject, erasure.key_ids)


def erasures_of(ledger: Ledger, subject: str, batch: int = 500) -> list[ErasureRecord]:
    """Every recorded erasure of ``subject``, oldest first."""
    found: list[ErasureRecord] = []
    start = 1
    topics = (Erasure.SubjectForgotten.TOPIC,)
    while page := ledger.notifications(start, batch, topics):
        for notification in page:
            forgotten = ledger.mapper.to_domain_event(notification)
            if isinstance(forgotten, Erasure.SubjectForgotten) and (
                forgotten.data_subject == subject
            ):
                found.append(
                    ErasureRecord(
                        forgotten.originator_id,
                        forgotten.timestamp,
                        forgotten.data_subject,
                        list(forgotten.key_ids),
                    )
                )
        start = page[-1].id + 1
    return found
