"""One batch of submissions in, outcomes out: decode, validate, map, sign, record.

:meth:`IngestPipeline.process` is synchronous (eventsourcing is) and does no
network I/O: the worker (:mod:`hub.service_layer.ingest.worker`) fetches, calls it off the
event loop, then publishes the notices and acks. For each submission:
size cap → hardened parse → schema validation → mapping → pydantic contract
(all in the source's decoder) → subject reference → the region's Ed25519
attestation → ``Record`` Issued + Attested. A bad submission becomes a
``RejectedSubmission`` with the error's code and issues instead; it never
stops the others. All of a batch's events are recorded in ONE transaction.

Idempotency: ids derive from the submission id (:func:`record_id_of`), so a
redelivered submission conflicts with what is stored. Then the batch is
recorded again without what already exists, and those submissions come out as
``duplicate`` with the stored attestation, so their notice can be re-published
under the same message id (JetStream drops the copy).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

import structlog
from eventsourcing.domain import CanMutateAggregate

from contracts.errors import FieldIssue, HubError
from federation.attestation import sign_attestation
from federation.canonical import digest_json, instant
from federation.jws import statement_digest
from federation.keys import KeyRing
from hub.adapters.crypto.keyring import SubjectKeyring
from hub.domain.digest import digest
from hub.domain.ingest import RejectedSubmission, record_id_of
from hub.domain.record import Record
from hub.service_layer.ingest.errors import IngestStoreError, NotAnIngestSubject, UnknownFormatError
from hub.service_layer.ingest.sources import SourceBook
from hub.service_layer.ingest.store import RecordStore
from hub.service_layer.ingest.subjects import (
    FORMATS,
    issued_subject,
    parse_ingest_subject,
    rejected_subject,
)
from translation.errors import PayloadTooLarge

log = structlog.get_logger("hub.service_layer.ingest")

NO_SUBJECT = "none"  # the subject reference of a contract that names no data subject
Status = Literal["recorded", "duplicate", "rejected"]


@dataclass(frozen=True)
class Submission:
    """One message from the ingest stream, as the pipeline needs it."""

    subject: str
    data: bytes
    submission_id: str
    format: str


@dataclass
class Outcome:
    """What became of one submission, and the notice announcing it."""

    submission_id: str
    status: Status
    department: str
    contract: str
    notice_subject: str
    notice: dict[str, Any]
    aggregate_id: UUID
    events: Sequence[CanMutateAggregate[UUID]] = field(default=(), repr=False)

    @property
    def msg_id(self) -> str:
        """The notice's JetStream message id: one per record (or refusal), forever."""
        return f"{self.notice['region']}-ingest-{self.aggregate_id}"

    def notice_bytes(self) -> bytes:
        return json.dumps(self.notice, separators=(",", ":")).encode()


class StageClock:
    """Seconds spent per stage, to explain a rate (printed by the benchmark)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.records = 0

    def add(self, stage: str, started: float) -> float:
        now = time.perf_counter()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - started
        return now

    def per_record_us(self) -> dict[str, float]:
        return {k: v * 1e6 / max(self.records, 1) for k, v in self.seconds.items()}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class IngestPipeline:
    """Turns batches of submissions into recorded, attested records (or recorded refusals)."""

    def __init__(self, store: RecordStore, keys: KeyRing, keyring: SubjectKeyring,
                 book: SourceBook, *, max_bytes: int,
                 clock: Callable[[], dt.datetime] = utc_now) -> None:
        self._store = store
        self._keys = keys
        self._keyring = keyring
        self._book = book
        self._region = store.region
        self._max_bytes = max_bytes
        self._clock = clock
        self.stages = StageClock()

    def process(self, batch: Sequence[Submission]) -> list[Outcome]:
        """Decode, sign and record ``batch`` (one transaction); IngestStoreError if it failed."""
        outcomes = [self._prepare(s) for s in batch]
        started = time.perf_counter()
        self._record(outcomes)
        self.stages.add("record (one transaction)", started)
        self.stages.records += len(batch)
        return outcomes

    # -- per submission ------------------------------------------------------------------------

    def _prepare(self, submission: Submission) -> Outcome:
        address = parse_ingest_subject(self._region, submission.subject)
        department = address.department if address else "-"
        contract = address.contract if address else "-"
        try:
            if address is None:
                raise NotAnIngestSubject(submission.subject)
            return self._accept(submission, department, contract)
        except HubError as exc:
            return self._reject(submission, department, contract, exc.code, exc.message,
                                exc.issues)
        except Exception as exc:  # a defect must not block the batch: refuse it, loudly
            log.exception("ingest: unexpected error", submission_id=submission.submission_id)
            return self._reject(submission, department, contract, "internal-error",
                                f"the hub could not process this submission: {exc!r}", ())

    def _accept(self, submission: Submission, department: str, contract: str) -> Outcome:
        clock = self.stages
        started = time.perf_counter()
        if submission.format not in FORMATS:
            raise UnknownFormatError(submission.format)
        source = self._book.get(department, contract)
        if len(submission.data) > self._max_bytes:
            raise PayloadTooLarge(len(submission.data), self._max_bytes)
        document = source.decode(submission.data)
        started = clock.add("decode (parse, validate, map, pydantic)", started)
        subject = self._keyring.ref_of(document) or NO_SUBJECT
        content_digest = digest_json(document.model_dump(mode="json"))
        started = clock.add("subject ref + canonical digest", started)
        record_id = record_id_of(self._region, department, submission.submission_id)
        attestation, compact = sign_attestation(
            self._keys, department=department, record_id=record_id, contract=contract,
            subject=subject, content_digest=content_digest, issued_at=self._clock())
        started = clock.add("sign (Ed25519 JWS)", started)
        issued_at = instant(attestation.issued_at)
        events = Record.issued_and_attested(
            record_id=record_id, region=self._region, department=department, contract=contract,
            subject=subject, content_digest=content_digest, issued_at=issued_at,
            attestation=compact, digest=statement_digest(compact), kid=attestation.kid,
            valid_until=instant(attestation.valid_until))
        clock.add("Record events (Issued + Attested)", started)
        notice = {"region": self._region, "department": department, "contract": contract,
                  "submission_id": submission.submission_id, "record_id": record_id,
                  "content_digest": content_digest, "issued_at": issued_at,
                  "attestation": compact}
        return Outcome(submission.submission_id, "recorded", department, contract,
                       issued_subject(self._region, department, contract), notice,
                       events[0].originator_id, events)

    def _reject(self, submission: Submission, department: str, contract: str, code: str,
                message: str, issues: Sequence[FieldIssue]) -> Outcome:
        listed = [issue.as_dict() for issue in issues] or [
            FieldIssue(path="$", reason=message, code=code).as_dict()]
        rejection = RejectedSubmission(
            submission_id=submission.submission_id, region=self._region, department=department,
            contract=contract, format=submission.format, code=code, message=message[:2000],
            issues=listed[:50], payload_digest=digest(submission.data),
            payload_size=len(submission.data))
        log.info("ingest: submission refused", submission_id=submission.submission_id,
                 department=department, contract=contract, code=code, reason=message[:200])
        notice = {"region": self._region, "department": department, "contract": contract,
                  "submission_id": submission.submission_id, "code": code, "message": message,
                  "issues": listed[:50]}
        safe = department if parse_ingest_subject(self._region, submission.subject) else "-"
        return Outcome(submission.submission_id, "rejected", department, contract,
                       rejected_subject(self._region, safe, contract if safe != "-" else "-"),
                       notice, rejection.id, rejection.collect_events())

    # -- the batch's one transaction -----------------------------------------------------------

    def _record(self, outcomes: list[Outcome]) -> None:
        if self._store.append([e for o in outcomes for e in o.events]):
            return
        # A redelivery: drop what is already stored, record the rest (still one transaction).
        stored = self._store.existing(o.aggregate_id for o in outcomes)
        for outcome in outcomes:
            if outcome.aggregate_id in stored:
                self._as_duplicate(outcome)
        if not self._store.append([e for o in outcomes if o.events for e in o.events]):
            raise IngestStoreError("the batch conflicted twice with concurrent writers")

    def _as_duplicate(self, outcome: Outcome) -> None:
        outcome.events = ()
        if outcome.status == "rejected":
            return  # the refusal is recorded already; its notice is the same
        outcome.status = "duplicate"
        record = self._store.record(outcome.aggregate_id)
        if record is not None and record.attestation is not None:
            outcome.notice.update(content_digest=record.content_digest,
                                  issued_at=record.issued_at, attestation=record.attestation)
