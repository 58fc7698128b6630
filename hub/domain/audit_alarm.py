"""Audit alarms: what a region records when a peer's signed history does not add up.

One ``AuditAlarm`` aggregate per distinct piece of evidence: its id is derived
from the peer, the kind and both checkpoints' texts, so the same evidence
offered again (every gossip round re-offers the peer's latest checkpoint)
raises the alarm once. Its creation event :class:`AuditAlarm.Raised`
(``AuditAlarmRaised``) carries both signed notes verbatim: anyone holding the
peer's public key can check them without trusting this region.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

_NAMESPACE = uuid.UUID("6f1c1f1e-7a53-4d61-9f0e-0c1b2a3d4e5f")

# Kinds of alarm, each a way a peer's history can fail to add up.
BAD_SIGNATURE = "bad-signature"  # a checkpoint offered for the peer is not signed by its key
FORKED = "forked"  # two signed checkpoints of one size with different roots
SHRUNK = "shrunk"  # the peer's latest checkpoint is smaller than one it signed before
INCONSISTENT = "inconsistent"  # a newer checkpoint does not extend the one held


def alarm_id(peer: str, kind: str, held: str, received: str) -> UUID:
    """The alarm's id: one per (peer, kind, held note, received note)."""
    digest = hashlib.sha256(f"{held}\x00{received}".encode()).hexdigest()
    return uuid.uuid5(_NAMESPACE, f"audit-alarm:{peer}:{kind}:{digest}")


class AuditAlarm(Aggregate):
    """Evidence that a peer region's audit log was rewritten, forked or forged."""

    TOPIC = "interop-hub:audit-alarm"

    class Event(Aggregate.Event):
        """Base of every audit alarm event."""

        TOPIC = "interop-hub:audit-alarm.event"

    class Raised(Event, Aggregate.Created):
        """AuditAlarmRaised: a peer's checkpoint failed a check; both notes are the evidence.

        ``held_checkpoint`` is the last checkpoint of the peer this region had
        verified ("" when none), ``received_checkpoint`` the one that failed.
        """

        TOPIC = "interop-hub:audit-alarm.raised"
        class_version = 1
        peer: str
        kind: str
        reason: str
        held_checkpoint: str
        received_checkpoint: str
        detected_by: str

    @staticmethod
    def create_id(peer: str, kind: str, held_checkpoint: str, received_checkpoint: str) -> UUID:
        return alarm_id(peer, kind, held_checkpoint, received_checkpoint)

    @event(Raised)
    def __init__(
        self,
        peer: str,
        kind: str,
        reason: str,
        held_checkpoint: str,
        received_checkpoint: str,
        detected_by: str,
    ) -> None:
        self.peer = peer
        self.kind = kind
        self.reason = reason
        self.held_checkpoint = held_checkpoint
        self.received_checkpoint = received_checkpoint
        self.detected_by = detected_by

    @property
    def raised_at(self) -> datetime:
        """When the alarm was raised (its creation time)."""
        return self.created_on


AuditAlarmRaised = AuditAlarm.Raised
