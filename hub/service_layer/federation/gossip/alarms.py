"""The audit alarms a region raised about its peers, as an eventsourcing application.

The events live beside the ledger in their own table
(:mod:`hub.adapters.store.alarms_store`), not in the ledger: the ledger's table
is what the Merkle log covers and what the relay and the projections follow.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, cast
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError

from hub.adapters.store.alarms_store import APPLICATION_NAME
from hub.domain.audit_alarm import AuditAlarm


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
