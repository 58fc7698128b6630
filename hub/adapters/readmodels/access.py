"""The access-rights read model: may a client query a service, and for which purposes."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from hub.domain.access import AccessRight, access_right_id


@dataclass(frozen=True, slots=True)
class RightEntry:
    """The right of one client department on one service as the ledger has it now."""

    client: str
    service: str
    purposes: tuple[str, ...] = ()
    active: bool = False

    def covers(self, purpose: str) -> bool:
        """Whether the right is active and names ``purpose``."""
        return self.active and purpose in self.purposes


class RightsModel:
    """Every access right ever granted, by its (client, service) pair."""

    topics = frozenset({AccessRight.Created.TOPIC, AccessRight.Granted.TOPIC,
                        AccessRight.Revoked.TOPIC})

    def __init__(self) -> None:
        self._entries: dict[UUID, RightEntry] = {}

    def apply(self, topic: str, event: Any) -> None:
        """Apply one access-right event."""
        uid = event.originator_id
        if topic == AccessRight.Created.TOPIC:
            self._entries[uid] = RightEntry(event.client, event.service)
        elif (entry := self._entries.get(uid)) is not None:
            if topic == AccessRight.Granted.TOPIC:
                entry = dataclasses.replace(entry, purposes=tuple(event.purposes), active=True)
            else:
                entry = dataclasses.replace(entry, active=False)
            self._entries[uid] = entry

    def get(self, client: str, service: str) -> RightEntry | None:
        """The right of ``client`` (region/department) on ``service``, or None."""
        return self._entries.get(access_right_id(client, service))
