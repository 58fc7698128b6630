"""The consents read model: does a subject's consent for a purpose to a recipient hold.

Entries are kept by the consent's id, which is derived from (subject reference,
purpose, recipient): the model finds a consent from the triple without keeping
the subject reference, or any other personal data, at all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from hub.domain.consent import Consent, ConsentState, consent_id


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

    def apply(self, topic: str, event: Any) -> None:
        """Apply one consent event (the subject reference it may carry is not kept)."""
        uid = event.originator_id
        if topic == Consent.Created.TOPIC:
            self._entries[uid] = ConsentEntry(uid, event.purpose, event.recipient)
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
