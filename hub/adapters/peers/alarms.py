"""Audit alarms: what a region records when a peer's signed history does not add up.

One ``AuditAlarm`` aggregate per distinct piece of evidence: its id is derived
from the peer, the kind and both checkpoints' texts, so the same evidence
offered again (every gossip round re-offers the peer's latest checkpoint)
raises the alarm once. Its creation event :class:`AuditAlarm.Raised`
(``AuditAlarmRaised``) carries both signed notes verbatim: anyone holding the
peer's public key can check them without trusting this region.

The events live beside the ledger in their own table (``audit_alarms_events``,
as the federation application keeps ``federation_events``), not in the ledger:
the ledger's table is what the Merkle log covers and what the relay and the
projections follow.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, cast
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore
from eventsourcing.utils import get_topic

from hub.adapters.store.selection import store_environment

APPLICATION_NAME = "audit_alarms"
EVENTS_TABLE = f"{APPLICATION_NAME}_events"
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


class AlarmsSQLiteRecorder(SQLiteApplicationRecorder):
    """eventsourcing's SQLite application recorder, on the ``audit_alarms_events`` table."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = EVENTS_TABLE) -> None:
        super().__init__(datastore, events_table_name)


def alarms_environment(store_url: str | None, data_dir: Path) -> dict[str, str]:
    """eventsourcing settings for the alarms, beside the ledger's store in a table of their own."""
    env = store_environment(store_url, data_dir)
    if env.get("PERSISTENCE_MODULE") == "eventsourcing.sqlite":
        env[f"{APPLICATION_NAME.upper()}_APPLICATION_RECORDER_TOPIC"] = get_topic(
            AlarmsSQLiteRecorder
        )
    return env


class AuditAlarms(Application[UUID]):
    """Records audit alarms about peer regions; methods are synchronous (call off the loop)."""

    name = APPLICATION_NAME
    env: ClassVar[dict[str, str]] = {}

    def __init__(self, env: Mapping[str, str] | None = None, *, region: str) -> None:
        super().__init__(env)
        self.region = region

    def raise_alarm(
        self, peer: str, kind: str, reason: str, *, held: str, received: str
    ) -> tuple[UUID, bool]:
        """Record the alarm unless this very evidence was recorded before; (id, newly raised)."""
        alarm = AuditAlarm(peer, kind, reason, held, received, self.region)
        try:
            self.save(alarm)
        except IntegrityError:
            return alarm.id, False
        return alarm.id, True

    def alarms(self, peer: str | None = None) -> list[AuditAlarm]:
        """Every alarm raised, oldest first (of one peer when given)."""
        found: list[AuditAlarm] = []
        start = 1
        while True:
            page = self.recorder.select_notifications(start, 500)
            if not page:
                return found
            for notification in page:
                alarm = self._get(notification.originator_id)
                if peer is None or alarm.peer == peer:
                    found.append(alarm)
            start = page[-1].id + 1

    def _get(self, alarm: Any) -> AuditAlarm:
        return cast(AuditAlarm, self.repository.get(UUID(str(alarm))))
