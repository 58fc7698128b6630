"""The ``RejectedSubmission`` aggregate: a record a department submitted that the hub refused.

One aggregate per refused submission, its id derived from the submission id
(:func:`rejection_id`), so a redelivered bad message is recorded once; the
record an accepted submission becomes has a derived id too
(:func:`record_id_of`). It holds what the department needs to fix the input
(the code, the message and each field issue) and the digest and size of what
was sent — never the payload itself.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

# Fixed forever: changing it would make every redelivered submission a new record.
INGEST_NAMESPACE = UUID("6f1d3c8e-2b7a-5e44-9c1f-0a8d4e2b7c55")


def record_id_of(region: str, department: str, submission_id: str) -> str:
    """The record id a submission becomes: the same on every delivery (the dedupe key)."""
    return str(uuid5(INGEST_NAMESPACE, f"record/{region}/{department}/{submission_id}"))


def rejection_id(region: str, department: str, submission_id: str) -> UUID:
    """The id of a refused submission's aggregate (never a record's id)."""
    return uuid5(INGEST_NAMESPACE, f"rejected/{region}/{department}/{submission_id}")


class RejectedSubmission(Aggregate):
    """A submission to the ingest stream that was refused, and why."""

    TOPIC = "interop-hub:ingest-rejection"

    class Event(Aggregate.Event):
        """Base of every ingest rejection event."""

        TOPIC = "interop-hub:ingest-rejection.event"

    class Created(Event, Aggregate.Created):
        """Base of the creation event."""

        TOPIC = "interop-hub:ingest-rejection.created"

    class Rejected(Created):
        """The submission was refused: ``code`` and ``issues`` (path, reason, code, field)."""

        TOPIC = "interop-hub:ingest-rejection.rejected"
        class_version = 1
        submission_id: str
        region: str
        department: str
        contract: str
        format: str
        code: str
        message: str
        issues: list[dict[str, Any]]
        payload_digest: str
        payload_size: int

    @staticmethod
    def create_id(region: str, department: str, submission_id: str) -> UUID:
        return rejection_id(region, department, submission_id)

    @event(Rejected)
    def __init__(
        self,
        submission_id: str,
        region: str,
        department: str,
        contract: str,
        format: str,
        code: str,
        message: str,
        issues: list[dict[str, Any]],
        payload_digest: str,
        payload_size: int,
    ) -> None:
        self.submission_id = submission_id
        self.region = region
        self.department = department
        self.contract = contract
        self.format = format
        self.code = code
        self.message = message
        self.issues = issues
        self.payload_digest = payload_digest
        self.payload_size = payload_size
