"""The ``Consent`` aggregate: a citizen lets one department use their data for one purpose.

One aggregate per (subject reference, purpose, recipient), its id derived from
the triple (uuid5), so the hub finds the consent that applies to an exchange
by one load. The subject is only ever the pseudonymous reference
(:mod:`hub.adapters.crypto.subjects`), never the national id. A revoked or expired
consent may be granted again; its history stays.

``until`` is an ISO date: the consent holds through the end of that day (UTC).
``fields`` narrows what the purpose may see; an empty list narrows nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

_NAMESPACE = uuid.UUID("0b7b6f43-2f7e-4d8e-9f3a-6a1d2c9e5b44")


def consent_id(subject_ref: str, purpose: str, recipient: str) -> UUID:
    """The id of the consent of ``subject_ref`` for ``purpose`` to ``recipient``."""
    return uuid.uuid5(_NAMESPACE, f"{subject_ref}|{purpose}|{recipient}")


class ConsentState(StrEnum):
    """Where a consent stands when checked."""

    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"


class Consent(Aggregate):
    """One data subject's consent to one recipient department for one purpose."""

    TOPIC = "interop-hub:consent"

    class Event(Aggregate.Event):
        """Base of every consent event."""

        TOPIC = "interop-hub:consent.event"

    class Created(Event, Aggregate.Created):
        """The triple was first named; a Granted follows in the same save."""

        TOPIC = "interop-hub:consent.created"
        class_version = 1
        subject_ref: str
        purpose: str
        recipient: str

    @staticmethod
    def create_id(subject_ref: str, purpose: str, recipient: str) -> UUID:
        """One aggregate per triple: the id is derived from it."""
        return consent_id(subject_ref, purpose, recipient)

    @event(Created)
    def __init__(self, subject_ref: str, purpose: str, recipient: str) -> None:
        self.subject_ref = subject_ref
        self.purpose = purpose
        self.recipient = recipient
        self.fields: list[str] = []
        self.until = ""
        self._state = ConsentState.REVOKED.value  # nothing granted yet
        self.uses = 0

    class Granted(Event):
        """The subject consented (again): ``fields`` (empty: all the purpose's) until ``until``."""

        TOPIC = "interop-hub:consent.granted"
        class_version = 1
        subject_ref: str
        purpose: str
        recipient: str
        fields: list[str]
        until: str

    @event(Granted)
    def grant(
        self, subject_ref: str, purpose: str, recipient: str, fields: list[str], until: str
    ) -> None:
        self.fields = list(fields)
        self.until = until
        self._state = ConsentState.ACTIVE.value

    class Used(Event):
        """The recipient received ``fields`` about the subject in exchange ``exchange_id``."""

        TOPIC = "interop-hub:consent.used"
        class_version = 1
        exchange_id: str
        fields: list[str]

    @event(Used)
    def use(self, exchange_id: str, fields: list[str]) -> None:
        self.uses += 1

    class Revoked(Event):
        """The subject withdrew consent: the next exchange is refused, queued ones included."""

        TOPIC = "interop-hub:consent.revoked"
        class_version = 1
        by: str
        reason: str

    @event(Revoked)
    def revoke(self, by: str, reason: str) -> None:
        self._state = ConsentState.REVOKED.value

    class Expired(Event):
        """A check found the consent past its ``until`` date."""

        TOPIC = "interop-hub:consent.expired"
        class_version = 1
        until: str

    @event(Expired)
    def expire(self, until: str) -> None:
        self._state = ConsentState.EXPIRED.value

    @property
    def state(self) -> ConsentState:
        """As recorded; :meth:`is_past` tells whether an active consent has run out."""
        return ConsentState(self._state)

    def is_past(self, now: dt.datetime) -> bool:
        """Whether ``now`` is after the end of the ``until`` day (UTC)."""
        return bool(self.until) and now.astimezone(dt.UTC).date() > dt.date.fromisoformat(
            self.until
        )
