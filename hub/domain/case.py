"""The ``Case`` aggregate: one application served by several departments' steps.

A case is submitted with its application (personal: sealed under the applicant's key like
an exchange's document) and the ids of the documents supplied with it. Each step is
requested as an exchange, may be acknowledged by its department and is decided later:
approved, refused with a reason, or more information needed (the case then waits for the
applicant, and the step is requested again when they have answered). A step that
recognises an earlier step's record (issued by another region) is sent only once this
region's federation recognised it (``StepRecognised``); a refused recognition fails the
step unsent (``StepRecognitionRefused``, with the reason). A step past its due
time is marked overdue once. The case completes when every step is approved, is refused
when one step is refused, or is withdrawn by the applicant; a completed case issues its
result. Every event carries ``at``: the time by the hub's clock (injectable), which is what
time limits are measured against.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, dataclass_transform

from eventsourcing.domain import Aggregate, event

from hub.domain.case_states import (
    ACKNOWLEDGED,
    APPROVED,
    COMPLETED,
    DECISIONS,
    FAILED,
    MORE_INFORMATION,
    OPEN,
    REFUSED,
    REFUSED_STEP,
    REQUESTED,
    WAITING,
    WITHDRAWN,
    CaseStateError,
)


class Case(Aggregate):
    """One application and the state of each of its steps."""

    TOPIC = "interop-hub:case"

    @dataclass_transform(frozen_default=True)
    class Event(Aggregate.Event):
        """Base of every case event."""

        TOPIC = "interop-hub:case.event"

    class Created(Event, Aggregate.Created):
        """Base of the creation event."""

        TOPIC = "interop-hub:case.created"

    class Submitted(Created):
        """The applicant (through ``applicant``, the portal's department) filed the case."""

        TOPIC = "interop-hub:case.submitted"
        class_version = 1
        case_type: str
        applicant: str
        application: dict[str, Any]
        documents: dict[str, str]
        steps: dict[str, str]  # step name -> service
        data_subject: str
        at: dt.datetime
        due_at: dt.datetime

    @event(Submitted)
    def __init__(self, case_type: str, applicant: str, application: dict[str, Any],
                 documents: dict[str, str], steps: dict[str, str], data_subject: str,
                 at: dt.datetime, due_at: dt.datetime) -> None:
        self.case_type = case_type
        self.applicant = applicant
        self.application = application
        self.documents = dict(documents)
        self.data_subject = data_subject
        self.submitted_at = at
        self.due_at = due_at
        self.status = OPEN
        self.closed_at: dt.datetime | None = None
        self.reason = ""
        self.result: dict[str, Any] | None = None
        self.steps: dict[str, dict[str, Any]] = {
            name: {"service": service, "state": WAITING, "since": at, "due_at": None,
                   "exchange_id": "", "reference": "", "reason": "", "overdue": False,
                   "answer": None, "recognition": None}
            for name, service in steps.items()
        }

    class StepRequested(Event):
        """Step ``step`` is to be sent; it is due by ``due_at``. Recorded *before* the
        exchange goes out (``exchange_id`` is empty then; :class:`StepSent` names it), so
        that one writer claims the step and a case whose process stopped before sending
        is found and sent on restart."""

        TOPIC = "interop-hub:case.step-requested"
        class_version = 1
        step: str
        exchange_id: str
        at: dt.datetime
        due_at: dt.datetime

    @event(StepRequested)
    def _request(self, step: str, exchange_id: str, at: dt.datetime,
                 due_at: dt.datetime) -> None:
        self.steps[step].update(state=REQUESTED, exchange_id=exchange_id, since=at,
                                due_at=due_at, reason="", overdue=False)

    def request_step(self, step: str, exchange_id: str, at: dt.datetime,
                     due_at: dt.datetime) -> None:
        self._check_open("request step " + step)
        if self._step(step)["state"] not in (WAITING, MORE_INFORMATION, FAILED):
            raise CaseStateError(self.id, f"request step {step}",
                                 f"it is {self.steps[step]['state']}")
        self._request(step, exchange_id, at, due_at)

    class StepSent(Event):
        """The step's exchange ``exchange_id`` went out (after :class:`StepRequested`)."""

        TOPIC = "interop-hub:case.step-sent"
        class_version = 1
        step: str
        exchange_id: str
        at: dt.datetime

    @event(StepSent)
    def _sent(self, step: str, exchange_id: str, at: dt.datetime) -> None:
        self.steps[step]["exchange_id"] = exchange_id

    def send_step(self, step: str, exchange_id: str, at: dt.datetime) -> None:
        """Name the exchange a requested step went out as (once per request)."""
        self._check_open("send step " + step)
        if not self.unsent(step):
            raise CaseStateError(self.id, f"send step {step}",
                                 f"it is {self.steps[step]['state']}, "
                                 f"exchange {self.steps[step]['exchange_id'] or 'none'}")
        self._sent(step, exchange_id, at)

    def unsent(self, step: str) -> bool:
        """Whether ``step`` is requested but its exchange is not recorded as sent."""
        state = self._step(step)
        return state["state"] == REQUESTED and not state["exchange_id"]

    class StepRecognised(Event):
        """Before ``step`` went out, ``issuer``'s record ``record_id`` of step ``of``'s
        answer was recognised here (signed with key ``kid``, under ``agreement_id``)."""

        TOPIC = "interop-hub:case.step-recognised"
        class_version = 1
        step: str
        of: str
        issuer: str
        record_id: str
        kid: str
        agreement_id: str
        at: dt.datetime

    @event(StepRecognised)
    def _recognised(self, step: str, of: str, issuer: str, record_id: str, kid: str,
                    agreement_id: str, at: dt.datetime) -> None:
        self.steps[step]["recognition"] = {"of": of, "issuer": issuer, "record_id": record_id,
                                           "outcome": "recognised", "code": "", "reason": ""}

    class StepRecognitionRefused(Event):
        """``step`` was not sent: ``issuer``'s record ``record_id`` of step ``of``'s answer
        was not recognised here (``code``: the federation's reason, or ``digest-mismatch``,
        ``no-attestation``). The step fails unsent; a retry checks again."""

        TOPIC = "interop-hub:case.step-recognition-refused"
        class_version = 1
        step: str
        of: str
        issuer: str
        record_id: str
        code: str
        reason: str
        at: dt.datetime

    @event(StepRecognitionRefused)
    def _recognition_refused(self, step: str, of: str, issuer: str, record_id: str, code: str,
                             reason: str, at: dt.datetime) -> None:
        self.steps[step].update(state=FAILED, since=at,
                                reason=f"recognition-refused: {code}: {reason}", recognition={
                                    "of": of, "issuer": issuer, "record_id": record_id,
                                    "outcome": "refused", "code": code, "reason": reason})

    def recognise_step(self, step: str, of: str, issuer: str, record_id: str, *,
                       refused: tuple[str, str] | None, kid: str, agreement_id: str,
                       at: dt.datetime) -> None:
        """Record the recognition (``refused``: its code and reason) a requested, unsent
        step waited for."""
        self._check_open("record the recognition for step " + step)
        if not self.unsent(step):
            raise CaseStateError(self.id, f"record the recognition for step {step}",
                                 f"it is {self.steps[step]['state']}, not requested unsent")
        if refused is None:
            self._recognised(step, of, issuer, record_id, kid, agreement_id, at)
        else:
            self._recognition_refused(step, of, issuer, record_id, *refused, at)

    class StepFailed(Event):
        """The step's exchange was refused (``code``: e.g. ``access-denied``), failed or was
        dead-lettered: no department decided, so the case stays open and the step is
        requested again when retried."""

        TOPIC = "interop-hub:case.step-failed"
        class_version = 1
        step: str
        exchange_id: str
        code: str
        reason: str
        at: dt.datetime

    @event(StepFailed)
    def _fail(self, step: str, exchange_id: str, code: str, reason: str,
              at: dt.datetime) -> None:
        self.steps[step].update(state=FAILED, exchange_id=exchange_id, since=at,
                                reason=f"{code}: {reason}")

    def fail_step(self, step: str, exchange_id: str, code: str, reason: str,
                  at: dt.datetime) -> None:
        self._check_open("record a failure of step " + step)
        if self._step(step)["state"] != REQUESTED:
            raise CaseStateError(self.id, f"record a failure of step {step}",
                                 f"it is {self.steps[step]['state']}")
        self._fail(step, exchange_id, code, reason, at)

    class StepAcknowledged(Event):
        """The department took the step in hand under its own ``reference``."""

        TOPIC = "interop-hub:case.step-acknowledged"
        class_version = 1
        step: str
        reference: str
        at: dt.datetime

    @event(StepAcknowledged)
    def _acknowledge(self, step: str, reference: str, at: dt.datetime) -> None:
        self.steps[step].update(state=ACKNOWLEDGED, reference=reference, since=at)

    def acknowledge_step(self, step: str, reference: str, at: dt.datetime) -> None:
        self._check_awaiting(step, "acknowledge")
        self._acknowledge(step, reference, at)

    class StepDecided(Event):
        """The department decided the step (``decision``: approved, refused, more
        information needed), with its reason and its answer (personal, sealed)."""

        TOPIC = "interop-hub:case.step-decided"
        class_version = 1
        step: str
        decision: str
        reason: str
        reference: str
        answer: dict[str, Any]
        data_subject: str
        at: dt.datetime

    @event(StepDecided)
    def _decide(self, step: str, decision: str, reason: str, reference: str,
                answer: dict[str, Any], data_subject: str, at: dt.datetime) -> None:
        self.steps[step].update(state=decision, reason=reason, since=at, answer=answer,
                                reference=reference or self.steps[step]["reference"])

    def decide_step(self, step: str, decision: str, reason: str, reference: str,
                    answer: dict[str, Any], at: dt.datetime) -> None:
        self._check_awaiting(step, "decide")
        if decision not in DECISIONS:
            raise CaseStateError(self.id, f"decide step {step}",
                                 f"{decision!r} is not one of {', '.join(DECISIONS)}")
        if decision != APPROVED and not reason:
            raise CaseStateError(self.id, f"decide step {step}",
                                 f"a decision '{decision}' needs a reason")
        self._decide(step, decision, reason, reference, answer, self.data_subject, at)

    class StepOverdue(Event):
        """Step ``step`` was still undecided at ``due_at`` (recorded once per request)."""

        TOPIC = "interop-hub:case.step-overdue"
        class_version = 1
        step: str
        due_at: dt.datetime
        at: dt.datetime

    @event(StepOverdue)
    def _overdue(self, step: str, due_at: dt.datetime, at: dt.datetime) -> None:
        self.steps[step]["overdue"] = True

    def mark_overdue(self, step: str, at: dt.datetime) -> bool:
        """Record ``StepOverdue`` if the step is awaited, past due and not yet marked."""
        state = self._step(step)
        if (self.status != OPEN or state["state"] not in (REQUESTED, ACKNOWLEDGED, FAILED)
                or state["overdue"] or state["due_at"] is None or at < state["due_at"]):
            return False
        self._overdue(step, state["due_at"], at)
        return True

    class InformationSupplied(Event):
        """The applicant supplied what was asked (``documents``: name -> document id); the
        steps that needed more information wait to be requested again."""

        TOPIC = "interop-hub:case.information-supplied"
        class_version = 1
        documents: dict[str, str]
        at: dt.datetime

    @event(InformationSupplied)
    def _supply(self, documents: dict[str, str], at: dt.datetime) -> None:
        self.documents.update(documents)
        for state in self.steps.values():
            if state["state"] == MORE_INFORMATION:
                state.update(state=WAITING, since=at)

    def supply_information(self, documents: dict[str, str], at: dt.datetime) -> None:
        self._check_open("supply information")
        if not any(s["state"] == MORE_INFORMATION for s in self.steps.values()):
            raise CaseStateError(self.id, "supply information", "no step asked for more")
        self._supply(documents, at)

    class Completed(Event):
        """Every step was approved."""

        TOPIC = "interop-hub:case.completed"
        class_version = 1
        at: dt.datetime

    @event(Completed)
    def _complete(self, at: dt.datetime) -> None:
        self.status, self.closed_at = COMPLETED, at

    def complete(self, at: dt.datetime) -> None:
        self._check_open("complete")
        pending = [n for n, s in self.steps.items() if s["state"] != APPROVED]
        if pending:
            raise CaseStateError(self.id, "complete", f"steps not approved: {pending}")
        self._complete(at)

    class Refused(Event):
        """The case was refused because step ``step`` was (with its ``reason``)."""

        TOPIC = "interop-hub:case.refused"
        class_version = 1
        step: str
        reason: str
        at: dt.datetime

    @event(Refused)
    def _refuse(self, step: str, reason: str, at: dt.datetime) -> None:
        self.status, self.closed_at, self.reason = REFUSED, at, reason

    def refuse(self, step: str, at: dt.datetime) -> None:
        self._check_open("refuse")
        if self._step(step)["state"] != REFUSED_STEP:
            raise CaseStateError(self.id, "refuse", f"step {step} was not refused")
        self._refuse(step, self.steps[step]["reason"], at)

    class Withdrawn(Event):
        """The applicant withdrew the case."""

        TOPIC = "interop-hub:case.withdrawn"
        class_version = 1
        reason: str
        at: dt.datetime

    @event(Withdrawn)
    def _withdraw(self, reason: str, at: dt.datetime) -> None:
        self.status, self.closed_at, self.reason = WITHDRAWN, at, reason

    def withdraw(self, reason: str, at: dt.datetime) -> None:
        self._check_open("withdraw")
        self._withdraw(reason, at)

    class ResultIssued(Event):
        """The applicant's result (a ``contract`` document, personal, sealed) was issued."""

        TOPIC = "interop-hub:case.result-issued"
        class_version = 1
        contract: str
        result: dict[str, Any]
        data_subject: str
        at: dt.datetime

    @event(ResultIssued)
    def _issue(self, contract: str, result: dict[str, Any], data_subject: str,
               at: dt.datetime) -> None:
        self.result = result

    def issue_result(self, contract: str, result: dict[str, Any], at: dt.datetime) -> None:
        if self.status != COMPLETED or self.result is not None:
            raise CaseStateError(self.id, "issue the result", "the case is not completed, "
                                 "or its result was issued")
        self._issue(contract, result, self.data_subject, at)

    # --- rules ---
    def _step(self, step: str) -> dict[str, Any]:
        try:
            return self.steps[step]
        except KeyError:
            raise CaseStateError(self.id, f"use step {step!r}",
                                 f"no such step (steps: {', '.join(self.steps)})") from None

    def _check_open(self, action: str) -> None:
        if self.status != OPEN:
            raise CaseStateError(self.id, action, f"the case is {self.status}")

    def _check_awaiting(self, step: str, action: str) -> None:
        self._check_open(f"{action} step {step}")
        if self._step(step)["state"] not in (REQUESTED, ACKNOWLEDGED, FAILED):
            raise CaseStateError(self.id, f"{action} step {step}",
                                 f"it is {self.steps[step]['state']}, not awaiting a decision")
