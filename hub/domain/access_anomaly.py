"""Access anomalies: what the region records when a credential's access looks unusual.

One ``AccessAnomaly`` aggregate per distinct piece of evidence: its id is
derived from the kind, who (the credential, or the department when the
credential is unknown), the service and the window's start, so a replay of the
same history (a projection rebuilt, two hub workers following one store)
raises it once. Its creation event :class:`AccessAnomaly.Raised`
(``AccessAnomalyRaised``) carries the evidence: the window, the count against
its threshold, and a sample of what was counted. The sample holds subject
references (pseudonymous) or exchange ids, never a personal value.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

_NAMESPACE = uuid.UUID("9d3e2c4b-51a7-4f0e-8b6d-2a1c7e5f9b30")

# Kinds of anomaly, each a way access can be unusual.
SUBJECTS_ABOVE_BASELINE = "subjects-above-baseline"  # many distinct people in one hour
REFUSAL_BURST = "refusal-burst"  # many refused requests in a short window
OUTSIDE_SERVICE_HOURS = "outside-service-hours"  # access when the service is declared closed
SUBJECT_MANY_DEPARTMENTS = "subject-many-departments"  # one person looked up by many departments

KINDS = (SUBJECTS_ABOVE_BASELINE, REFUSAL_BURST, OUTSIDE_SERVICE_HOURS, SUBJECT_MANY_DEPARTMENTS)


def anomaly_id(kind: str, who: str, service: str, subject: str, window_start: str) -> UUID:
    """The anomaly's id: one per (kind, credential or department, service, subject, window)."""
    return uuid.uuid5(_NAMESPACE,
                      f"access-anomaly:{kind}:{who}:{service}:{subject}:{window_start}")


@dataclass(frozen=True)
class Evidence:
    """What the access watch found: the fields of :class:`AccessAnomaly.Raised` but the action."""

    kind: str
    credential: str  # hex id, "" when the way in named only the department
    department: str  # region/department of the client
    service: str  # the service accessed ("" for a refusal before the service was known)
    subject: str  # the subject reference an anomaly is about ("" unless one person's)
    window_start: str  # RFC 3339 UTC
    window_end: str
    count: int
    threshold: int
    sample: tuple[str, ...]  # subject references or exchange ids
    detail: str

    @property
    def id(self) -> UUID:
        """The id its anomaly will have (see :func:`anomaly_id`)."""
        return anomaly_id(self.kind, self.credential or self.department, self.service,
                          self.subject, self.window_start)


class AccessAnomaly(Aggregate):
    """Evidence that one credential (or department) accessed a service unusually."""

    TOPIC = "interop-hub:access-anomaly"

    class Event(Aggregate.Event):
        """Base of every access anomaly event."""

        TOPIC = "interop-hub:access-anomaly.event"

    class Raised(Event, Aggregate.Created):
        """AccessAnomalyRaised: a threshold was breached; the fields are the evidence.

        ``credential`` is the credential id (hex; "" when the access came through
        a way in that names only the department); ``subject`` the subject reference
        an anomaly about one person concerns ("" otherwise); ``window_start``/``window_end``
        are RFC 3339 UTC; ``count`` breached ``threshold``; ``sample`` is up to a
        policy's ``sample_size`` subject references or exchange ids; ``action`` is
        ``suspend`` when the service asks for the credential to be suspended, else
        ``alarm``; ``detail`` says in words what was breached.
        """

        TOPIC = "interop-hub:access-anomaly.raised"
        class_version = 1
        kind: str
        credential: str
        department: str
        service: str
        subject: str
        window_start: str
        window_end: str
        count: int
        threshold: int
        sample: list[str]
        detail: str
        action: str
        detected_by: str

    @staticmethod
    def create_id(kind: str, credential: str, department: str, service: str, subject: str,
                  window_start: str, **_: object) -> UUID:
        return anomaly_id(kind, credential or department, service, subject, window_start)

    @classmethod
    def from_evidence(cls, evidence: Evidence, *, action: str, detected_by: str) -> AccessAnomaly:
        """A new anomaly recording ``evidence`` (``action``: ``suspend`` or ``alarm``)."""
        return cls(
            kind=evidence.kind, credential=evidence.credential, department=evidence.department,
            service=evidence.service, subject=evidence.subject,
            window_start=evidence.window_start, window_end=evidence.window_end,
            count=evidence.count, threshold=evidence.threshold, sample=list(evidence.sample),
            detail=evidence.detail, action=action, detected_by=detected_by,
        )

    @event(Raised)
    def __init__(
        self, kind: str, credential: str, department: str, service: str, subject: str,
        window_start: str, window_end: str, count: int, threshold: int, sample: list[str],
        detail: str, action: str, detected_by: str,
    ) -> None:
        self.kind = kind
        self.credential = credential
        self.department = department
        self.service = service
        self.subject = subject
        self.window_start = window_start
        self.window_end = window_end
        self.count = count
        self.threshold = threshold
        self.sample = list(sample)
        self.detail = detail
        self.action = action
        self.detected_by = detected_by

    @property
    def raised_at(self) -> datetime:
        """When the anomaly was recorded (its creation time)."""
        return self.created_on


AccessAnomalyRaised = AccessAnomaly.Raised
