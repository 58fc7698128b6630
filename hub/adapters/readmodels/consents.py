"""The consents read model: does a subject's consent for a purpose to a recipient hold.

Entries are kept by the consent's id, which is derived from (subject reference,
purpose, recipient): the model finds a consent from the triple without keeping
the subject reference, or any other personal data, at all.

It also lists one subject's consents (:meth:`ConsentModel.ids_of`), for a person who
asks to see theirs: an index from the subject's key (:func:`subject_key`, derived from
the reference one way, like the consent id) to their consent ids, so the answer costs what
that person has, not what the region has.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from hub.domain.consent import Consent, ConsentState, consent_id

_SUBJECTS = uuid.UUID("5d0c3a55-8f1e-4d7a-b2a4-7c3f0e9a61d2")


def subject_key(subject_ref: str) -> UUID:
    """The index key of a subject's consents: derived from the reference, not it."""
    return uuid.uuid5(_SUBJECTS, subject_ref)


@dataclass(frozen=True, slots=True)
class ConsentEntry:
    """One consent as the ledger has it now (no subject reference)."""

    id: UUID
    purpose: str
    recipient: str
    fields: tuple[str, ...] = ()
    until: str = ""
    state: ConsentState = ConsentState.REVOKED

    def is_past(self, now: dt.datetime) -> bool:
        """Whether ``now`` is after the end of the ``until`` day (UTC)."""
        return bool(self.until) and now.astimezone(dt.UTC).date() > dt.date.fromisoformat(
            self.until)


class ConsentModel:
    """Every consent recorded, by id."""

    topics = frozenset({Consent.Created.TOPIC, Consent.Granted.TOPIC, Consent.Revoked.TOPIC,
                        Consent.Expired.TOPIC})

    def __init__(self) -> None:
        self._entries: dict[UUID, ConsentEntry] = {}
        # subject key -> their consent ids, in the order first granted (a dict keeps order)
        self._by_subject: dict[UUID, dict[UUID, None]] = {}

    def apply(self, topic: str, event: Any) -> None:
        """Apply one consent event (the subject reference it may carry is not kept)."""
        uid = event.originator_id
        if topic == Consent.Created.TOPIC:
            self._entries[uid] = ConsentEntry(uid, event.purpose, event.recipient)
            self._by_subject.setdefault(subject_key(event.subject_ref), {})[uid] = None
        elif (entry := self._entries.get(uid)) is not None:
            if topic == Consent.Granted.TOPIC:
                entry = dataclasses.replace(entry, fields=tuple(event.fields), until=event.until,
                                            state=ConsentState.ACTIVE)
            elif topic == Consent.Revoked.TOPIC:
                entry = dataclasses.replace(entry, state=ConsentState.REVOKED)
            else:
                entry = dataclasses.replace(entry, state=ConsentState.EXPIRED)
            self._entries[uid] = entry

    def get(self, subject_ref: str, purpose: str, recipient: str) -> ConsentEntry | None:
        """The consent of the triple, or None if never granted."""
        return self._entries.get(consent_id(subject_ref, purpose, recipient))

    def ids_of(self, subject_ref: str) -> list[UUID]:
        """The ids of every consent of ``subject_ref``, in the order first granted."""
        return list(self._by_subject.get(subject_key(subject_ref), ()))
