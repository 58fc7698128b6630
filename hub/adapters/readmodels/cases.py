"""The cases read model: every case and step with its state, holder, since and due times.

It follows the ledger's case events (never their personal fields, which stay sealed) and
keeps, besides the rows, an index of due times: a heap of (due time, case, step) that the
overdue checker pops from, so finding what is overdue costs what is due, never a scan of
cases or of history. The heap may hold entries of steps decided since; they are skipped
when popped (a step requested again gets a fresh entry).

This is the read side of cases: listings and the applicant's progress are answered from
:class:`CaseRow` and :class:`StepRow`; the published figures from counts that
:class:`CaseBoard` keeps beside the rows as they change
(:mod:`hub.adapters.readmodels.case_figures`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from hub.adapters.readmodels.case_figures import CaseFigures, Figures, OpenCounts
from hub.adapters.readmodels.tail import LedgerTail
from hub.adapters.store.ledger import Ledger
from hub.domain.case import Case
from hub.domain.case_states import (
    ACKNOWLEDGED,
    APPROVED,
    COMPLETED,
    FAILED,
    MORE_INFORMATION,
    REFUSED,
    REQUESTED,
    WAITING,
    WITHDRAWN,
)

APPLICANT = "applicant"
"""The holder of a step that waits for the applicant (more information needed)."""


@dataclass(frozen=True)
class StepRow:
    """One step as the ledger has it now: who holds it, since when, due by."""

    name: str
    service: str
    state: str = WAITING
    since: dt.datetime | None = None
    due_at: dt.datetime | None = None
    overdue: bool = False
    reference: str = ""
    reason: str = ""
    exchange_id: str = ""
    requested_at: dt.datetime | None = None  # first sent (a step asked again keeps it)
    # the recognition the step waited for: of, issuer, record_id, outcome, code, reason
    recognition: dict[str, str] | None = None
    case_open: bool = True  # False once the case completed, was refused or withdrawn

    @property
    def holder(self) -> str:
        """Who must act next: the department (region/department), the applicant, or ""."""
        if not self.case_open:
            return ""
        if self.state in (REQUESTED, ACKNOWLEDGED):
            return self.service.rsplit("/", 1)[0]
        return APPLICANT if self.state == MORE_INFORMATION else ""

    @property
    def awaited(self) -> bool:
        return self.state in (REQUESTED, ACKNOWLEDGED)


@dataclass(frozen=True)
class CaseRow:
    """One case as the ledger has it now (no personal data: no application, no answers)."""

    id: UUID
    case_type: str
    applicant: str
    status: str
    submitted_at: dt.datetime
    due_at: dt.datetime
    closed_at: dt.datetime | None = None
    reason: str = ""
    result_issued: bool = False
    steps: tuple[StepRow, ...] = ()
    data_subject: str = ""  # the subject's pseudonymous reference: the person's own view


    def step(self, name: str) -> StepRow:
        return next(s for s in self.steps if s.name == name)


_Row = TypeVar("_Row", CaseRow, StepRow)
_FIELDS: dict[type, frozenset[str]] = {
    kind: frozenset(f.name for f in dataclasses.fields(kind)) for kind in (CaseRow, StepRow)}


def _with(row: _Row, **changes: Any) -> _Row:
    """A copy of the frozen ``row`` with ``changes``: what ``dataclasses.replace`` does,
    without its per-call look at the fields (a replay makes one or two per event, and that
    look was the read model's largest cost); an unknown field is still refused."""
    kind = type(row)
    if not _FIELDS[kind].issuperset(changes):
        raise TypeError(f"{kind.__name__} has no field {sorted(set(changes) - _FIELDS[kind])}")
    copy = object.__new__(kind)
    copy.__dict__.update(row.__dict__)
    copy.__dict__.update(changes)
    return copy


@dataclass
class CasesModel:
    """Case rows by id, and the heap of due steps."""

    rows: dict[UUID, CaseRow] = field(default_factory=dict)
    by_subject: dict[str, list[UUID]] = field(default_factory=dict)
    _due: list[tuple[dt.datetime, str, UUID, str]] = field(default_factory=list)

    topics = frozenset({
        Case.Submitted.TOPIC, Case.StepRequested.TOPIC, Case.StepAcknowledged.TOPIC,
        Case.StepDecided.TOPIC, Case.StepOverdue.TOPIC, Case.Completed.TOPIC,
        Case.Refused.TOPIC, Case.Withdrawn.TOPIC, Case.ResultIssued.TOPIC,
        Case.InformationSupplied.TOPIC, Case.StepSent.TOPIC, Case.StepFailed.TOPIC,
        Case.StepRecognised.TOPIC, Case.StepRecognitionRefused.TOPIC,
    })

    def apply(self, topic: str, event: Any) -> None:
        """Apply one case event."""
        uid = event.originator_id
        if topic == Case.Submitted.TOPIC:
            steps = tuple(StepRow(n, s, since=event.at) for n, s in event.steps.items())
            self.rows[uid] = CaseRow(uid, event.case_type, event.applicant, "open",
                                     event.at, event.due_at, steps=steps,
                                     data_subject=event.data_subject)
            if event.data_subject:
                self.by_subject.setdefault(event.data_subject, []).append(uid)
            return
        row = self.rows.get(uid)
        if row is None:
            return
        if topic == Case.Completed.TOPIC:
            row = _with(row, status=COMPLETED, closed_at=event.at)
        elif topic == Case.Refused.TOPIC:
            row = _with(row, status=REFUSED, closed_at=event.at,
                                      reason=event.reason)
        elif topic == Case.Withdrawn.TOPIC:
            row = _with(row, status=WITHDRAWN, closed_at=event.at,
                                      reason=event.reason)
        elif topic == Case.ResultIssued.TOPIC:
            row = _with(row, result_issued=True)
        elif topic == Case.InformationSupplied.TOPIC:
            row = _with(row, steps=tuple(
                _with(s, state=WAITING, since=event.at)
                if s.state == MORE_INFORMATION else s for s in row.steps))
        else:
            row = self._apply_step(topic, event, row)
        if row.status != "open" and row.steps[0].case_open:
            row = _with(row, steps=tuple(
                _with(s, case_open=False) for s in row.steps))
        self.rows[uid] = row

    def _apply_step(self, topic: str, event: Any, row: CaseRow) -> CaseRow:
        step = row.step(event.step)
        if topic == Case.StepRequested.TOPIC:
            step = _with(step, state=REQUESTED, since=event.at,
                                       due_at=event.due_at, overdue=False, reason="",
                                       exchange_id=event.exchange_id,
                                       requested_at=step.requested_at or event.at)
            heapq.heappush(self._due, (event.due_at, str(row.id), row.id, step.name))
        elif topic == Case.StepSent.TOPIC:
            step = _with(step, exchange_id=event.exchange_id)
        elif topic == Case.StepFailed.TOPIC:
            step = _with(step, state=FAILED, since=event.at,
                                       reason=f"{event.code}: {event.reason}",
                                       exchange_id=event.exchange_id)
        elif topic == Case.StepRecognised.TOPIC:
            step = dataclasses.replace(step, recognition=_recognition(event, "recognised"))
        elif topic == Case.StepRecognitionRefused.TOPIC:
            step = dataclasses.replace(step, state=FAILED, since=event.at,
                                       reason=f"recognition-refused: {event.code}: "
                                              f"{event.reason}",
                                       recognition=_recognition(event, "refused"))
        elif topic == Case.StepAcknowledged.TOPIC:
            step = _with(step, state=ACKNOWLEDGED, since=event.at,
                                       reference=event.reference)
        elif topic == Case.StepDecided.TOPIC:
            step = _with(step, state=event.decision, since=event.at,
                                       reason=event.reason,
                                       reference=event.reference or step.reference)
        elif topic == Case.StepOverdue.TOPIC:
            step = _with(step, overdue=True)
        steps = tuple(step if s.name == step.name else s for s in row.steps)
        return _with(row, steps=steps)

    def pop_due(self, now: dt.datetime) -> list[tuple[UUID, str]]:
        """The (case, step) pairs awaited, not yet marked overdue, and due by ``now``."""
        found: list[tuple[UUID, str]] = []
        while self._due and self._due[0][0] <= now:
            due_at, _, uid, name = heapq.heappop(self._due)
            row = self.rows[uid]
            step = row.step(name)
            # A failed step (its exchange refused or failed) is still owed: its limit runs.
            if row.status == "open" and (step.awaited or step.state == FAILED) and \
                    not step.overdue and step.due_at == due_at:
                found.append((uid, name))
        return found

    def next_due(self) -> dt.datetime | None:
        return self._due[0][0] if self._due else None


class CaseBoard:
    """The cases model of one ledger and the counts of its published figures, caught up on
    demand (thread-safe)."""

    def __init__(self, ledger: Ledger, *, batch: int = 1000) -> None:
        self.model = CasesModel()
        self.counts = CaseFigures()
        self.tail = LedgerTail(ledger, CasesModel.topics, batch=batch)
        self._lock = threading.Lock()

    def catch_up(self) -> int:
        """Apply what the ledger recorded since the last round; returns notifications read."""
        with self._lock:
            return self.tail.read(self._apply)

    def _apply(self, topic: str, event: Any) -> None:
        old = self.model.rows.get(event.originator_id)
        self.model.apply(topic, event)
        new = self.model.rows.get(event.originator_id)
        if new is not None and new is not old:
            self.counts.replace(old, new)

    def figures(self, case_limits: Mapping[str, str], service_limits: Mapping[str, str],
                now: dt.datetime, threshold: int) -> Figures:
        """The published figures' raw counts at ``now`` (per case type and service: the
        cost of a request does not grow with the cases)."""
        self.catch_up()
        with self._lock:
            return self.counts.at(case_limits, service_limits, now, threshold)

    def open_counts(self, now: dt.datetime) -> OpenCounts:
        """Open and overdue cases and overdue steps at ``now``, from the kept counts (the
        cost of a ``/metrics`` scrape does not grow with the cases)."""
        self.catch_up()
        with self._lock:
            return self.counts.open_at(now)

    def get(self, case_id: UUID) -> CaseRow | None:
        self.catch_up()
        return self.model.rows.get(case_id)

    def cases(self) -> list[CaseRow]:
        """Every case, oldest first."""
        self.catch_up()
        return sorted(self.model.rows.values(), key=lambda r: r.submitted_at)

    def of_subject(self, subject_ref: str) -> list[CaseRow]:
        """The cases whose data subject is ``subject_ref``, oldest first (an index, no scan)."""
        self.catch_up()
        with self._lock:
            return [self.model.rows[uid] for uid in self.model.by_subject.get(subject_ref, ())]

    def pop_due(self, now: dt.datetime) -> list[tuple[UUID, str]]:
        self.catch_up()
        with self._lock:
            return self.model.pop_due(now)


__all__ = ["APPROVED", "CaseBoard", "CaseRow", "CasesModel", "StepRow"]


def _recognition(event: Any, outcome: str) -> dict[str, str]:
    return {"of": event.of, "issuer": event.issuer, "record_id": event.record_id,
            "outcome": outcome, "code": getattr(event, "code", ""),
            "reason": getattr(event, "reason", "")}
