"""The receiving side: what this region decided about peers' attestations and revocations.

``Recognition`` — one per peer record (issuer region + record id), opened by
the first attestation whose signature verified, so its claims are authentic:
Recognised or RecognitionRefused (with a reason code), Replayed (the same
attestation again: the original receipt is returned), RecognitionWithdrawn
(the issuer's revocation arrived) or RevocationNoted (a revocation for a record
not recognised here, remembered so that a later attestation is refused).

``UnverifiedPresentation`` — one per distinct statement refused *before* its
claims could be trusted (malformed, unknown key, bad signature): claims that no
trusted key signed must not open or touch a real record's history.

Every event keeps the signed receipt this region returned.
"""

from __future__ import annotations

import dataclasses
import uuid
from functools import lru_cache
from typing import TypeVar, dataclass_transform
from uuid import UUID

from eventsourcing.domain import Aggregate, DomainEvent, event
from eventsourcing.domain import Snapshot as AggregateSnapshot
from eventsourcing.utils import get_topic

E = TypeVar("E", bound=DomainEvent)
_NAMESPACE = uuid.UUID("5f0c6c1e-8f4e-5c1b-9d1e-6b1f3a2d9e41")


# The recognition path asks twice per attestation (to find it, then to open it).
@lru_cache(maxsize=1024)
def recognition_id(issuer: str, record_id: str) -> UUID:
    """The id of the recognition of ``issuer``'s record ``record_id`` in any region."""
    return uuid.uuid5(_NAMESPACE, f"recognition:{issuer}/{record_id}")


def presentation_id(statement: str) -> UUID:
    """The id of the refused presentation of the statement with digest ``statement``."""
    return uuid.uuid5(_NAMESPACE, f"unverified:{statement}")


def _event(kind: type[E], **state: object) -> E:
    """A ``kind`` event with ``state``, built as eventsourcing builds the events it reads
    back (``__dict__`` set, in field order, so it is stored as the constructor's would be):
    the frozen dataclass constructor costs ~2 µs for the 16 fields of ``Recognised``, on
    the path that opens a recognition for nearly every attestation received."""
    names = _field_names(kind)
    if tuple(state) != names:
        if state.keys() != set(names):
            raise TypeError(f"{kind.__name__} takes {', '.join(names)}; "
                            f"given {', '.join(state)}")
        state = {name: state[name] for name in names}
    built = object.__new__(kind)
    built.__dict__.update(state)
    return built


@lru_cache(maxsize=64)
def _field_names(kind: type[object]) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(kind))  # type: ignore[arg-type]


class Recognition(Aggregate):
    """This region's decisions about the attestations and revocation of one peer record."""

    TOPIC = "interop-hub:recognition"

    # The library's metaclass makes every event class a frozen dataclass; saying so lets a
    # type checker see the keyword constructor that opened_with calls directly.
    @dataclass_transform(frozen_default=True)
    class Event(Aggregate.Event):
        """Base of every recognition event."""

        TOPIC = "interop-hub:recognition.event"

    class Created(Event, Aggregate.Created):
        """Base of the creation event."""

        TOPIC = "interop-hub:recognition.created"

    class Opened(Created):
        """A first authentic statement about ``issuer``'s record ``record_id`` arrived."""

        TOPIC = "interop-hub:recognition.opened"
        class_version = 1
        issuer: str
        record_id: str

    # The library's snapshot class itself: Aggregate.Snapshot names it as a class attribute,
    # which a type checker does not take as a base class.
    class Snapshot(AggregateSnapshot):
        """The recognition's state at a version (a much-replayed record loads from here)."""

        TOPIC = "interop-hub:recognition.snapshot"
        class_version = 1

    @staticmethod
    def create_id(issuer: str, record_id: str) -> UUID:
        return recognition_id(issuer, record_id)

    @classmethod
    def opened_with(
        cls, issuer: str, record_id: str, decision: type[Recognition.Event], **fields: str
    ) -> tuple[Recognition.Event, Recognition.Event]:
        """The events of ``Recognition(issuer, record_id)`` followed by one ``decision``
        (``Recognised`` or ``RecognitionRefused``, with its ``fields``), without the aggregate.

        The same events, with the same ids, versions and topics, as the constructor and
        the command method record; only the aggregate object is not built (the receiving
        side decides about a new record far more often than about anything else, and
        building it costs more than the checks). ``mutate`` builds it from them.
        """
        aggregate_id = recognition_id(issuer, record_id)
        timestamp = cls.Event.create_timestamp()
        opened = _event(cls.Opened, originator_id=aggregate_id,
                        originator_version=cls.INITIAL_VERSION, timestamp=timestamp,
                        originator_topic=get_topic(cls), issuer=issuer, record_id=record_id)
        decided = _event(decision, originator_id=aggregate_id,
                         originator_version=cls.INITIAL_VERSION + 1, timestamp=timestamp,
                         **fields)
        return opened, decided

    @event(Opened)
    def __init__(self, issuer: str, record_id: str) -> None:
        self.issuer = issuer
        self.record_id = record_id
        self.recognised: str | None = None
        self.receipts: dict[str, str] = {}
        self.revocation: str | None = None
        self.refusals = 0

    class Recognised(Event):
        """The attestation was recognised (``read_as``: the contract version read here)."""

        TOPIC = "interop-hub:recognition.recognised"
        class_version = 1
        statement: str
        attestation: str
        department: str
        contract: str
        read_as: str
        subject: str
        content_digest: str
        issued_at: str
        valid_until: str
        kid: str
        agreement_id: str
        at: str
        receipt: str

    @event(Recognised)
    def recognise(
        self, statement: str, attestation: str, department: str, contract: str, read_as: str,
        subject: str, content_digest: str, issued_at: str, valid_until: str, kid: str,
        agreement_id: str, at: str, receipt: str,
    ) -> None:
        self.recognised = statement
        self.receipts[statement] = receipt

    class RecognitionRefused(Event):
        """An authentic attestation was refused: ``reason`` is a stable code."""

        TOPIC = "interop-hub:recognition.refused"
        class_version = 1
        statement: str
        attestation: str
        reason: str
        detail: str
        at: str
        receipt: str

    @event(RecognitionRefused)
    def refuse(
        self, statement: str, attestation: str, reason: str, detail: str, at: str, receipt: str
    ) -> None:
        self.refusals += 1

    class Replayed(Event):
        """An attestation already decided arrived again; its original receipt was returned."""

        TOPIC = "interop-hub:recognition.replayed"
        class_version = 1
        statement: str
        at: str

    @event(Replayed)
    def replay(self, statement: str, at: str) -> None:
        pass

    class RecognitionWithdrawn(Event):
        """The issuer revoked the record; its recognition here no longer stands."""

        TOPIC = "interop-hub:recognition.withdrawn"
        class_version = 1
        statement: str
        revocation: str
        reason: str
        at: str
        receipt: str

    @event(RecognitionWithdrawn)
    def withdraw(
        self, statement: str, revocation: str, reason: str, at: str, receipt: str
    ) -> None:
        self.revocation = statement
        self.receipts[statement] = receipt

    class RevocationNoted(Event):
        """A revocation of a record not recognised here: later attestations are refused."""

        TOPIC = "interop-hub:recognition.revocation-noted"
        class_version = 1
        statement: str
        revocation: str
        reason: str
        at: str
        receipt: str

    @event(RevocationNoted)
    def note_revocation(
        self, statement: str, revocation: str, reason: str, at: str, receipt: str
    ) -> None:
        self.revocation = statement
        self.receipts[statement] = receipt

    @property
    def is_recognised(self) -> bool:
        """Recognised and not withdrawn."""
        return self.recognised is not None and self.revocation is None

    @property
    def is_revoked(self) -> bool:
        return self.revocation is not None


class UnverifiedPresentation(Aggregate):
    """A statement refused before any trusted key vouched for its claims."""

    TOPIC = "interop-hub:unverified-presentation"

    class Event(Aggregate.Event):
        """Base of every unverified-presentation event."""

        TOPIC = "interop-hub:unverified-presentation.event"

    class Created(Event, Aggregate.Created):
        """Base of the creation event."""

        TOPIC = "interop-hub:unverified-presentation.created"

    class RecognitionRefused(Created):
        """Refused on first presentation (``statement`` digest; ``evidence`` the input, capped)."""

        TOPIC = "interop-hub:unverified-presentation.refused"
        class_version = 1
        statement: str
        about: str
        from_region: str
        evidence: str
        reason: str
        detail: str
        at: str
        receipt: str

    @staticmethod
    def create_id(statement: str) -> UUID:
        return presentation_id(statement)

    @event(RecognitionRefused)
    def __init__(
        self, statement: str, about: str, from_region: str, evidence: str, reason: str,
        detail: str, at: str, receipt: str,
    ) -> None:
        self.statement = statement
        self.presentations = 1

    class RefusedAgain(Event):
        """The same statement was presented and refused again."""

        TOPIC = "interop-hub:unverified-presentation.refused-again"
        class_version = 1
        from_region: str
        reason: str
        detail: str
        at: str
        receipt: str

    @event(RefusedAgain)
    def refuse_again(
        self, from_region: str, reason: str, detail: str, at: str, receipt: str
    ) -> None:
        self.presentations += 1
