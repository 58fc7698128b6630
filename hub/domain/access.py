"""The ``AccessRight`` aggregate: may a client department query a service, for which purposes.

Deny by default: no aggregate, or a revoked one, means no access. One aggregate
per (client, service) pair, its id derived from the pair (uuid5), so the check
at ingress is one load by id. A revoked right may be granted again; every
grant and revocation stays in the ledger, and so in the audit log.
"""

from __future__ import annotations

import functools
import uuid
from uuid import UUID

from eventsourcing.domain import Aggregate, event

_NAMESPACE = uuid.UUID("5f0c1d7e-9a43-4c59-b1f6-3b8f2a7d6e01")


# Cached: the access decision asks for it on every query, and a uuid5 (a SHA-1 and a UUID
# built) was a visible share of a query's CPU; there are few (client, service) pairs.
@functools.lru_cache(maxsize=4096)
def access_right_id(client: str, service: str) -> UUID:
    """The id of the right of ``client`` (region/department) on ``service``."""
    return uuid.uuid5(_NAMESPACE, f"{client}|{service}")


class AccessRight(Aggregate):
    """The right of one client department on one service, with the purposes it covers."""

    TOPIC = "interop-hub:access-right"

    class Event(Aggregate.Event):
        """Base of every access-right event."""

        TOPIC = "interop-hub:access-right.event"

    class Created(Event, Aggregate.Created):
        """The pair (client, service) was first named; a Granted follows in the same save."""

        TOPIC = "interop-hub:access-right.created"
        class_version = 1
        client: str
        service: str

    @staticmethod
    def create_id(client: str, service: str) -> UUID:
        """One aggregate per pair: the id is derived from it."""
        return access_right_id(client, service)

    @event(Created)
    def __init__(self, client: str, service: str) -> None:
        self.client = client
        self.service = service
        self.purposes: list[str] = []
        self.active = False
        self.granted_by = ""

    class Granted(Event):
        """The client may query the service for ``purposes`` (replacing any earlier grant)."""

        TOPIC = "interop-hub:access-right.granted"
        class_version = 1
        client: str
        service: str
        purposes: list[str]
        by: str

    @event(Granted)
    def grant(self, client: str, service: str, purposes: list[str], by: str) -> None:
        self.purposes = list(purposes)
        self.active = True
        self.granted_by = by

    class Revoked(Event):
        """The right was withdrawn; queries, including queued ones, are refused from now on."""

        TOPIC = "interop-hub:access-right.revoked"
        class_version = 1
        by: str
        reason: str

    @event(Revoked)
    def revoke(self, by: str, reason: str) -> None:
        self.active = False

    def covers(self, purpose: str) -> bool:
        """Whether the right is active and names ``purpose``."""
        return self.active and purpose in self.purposes
