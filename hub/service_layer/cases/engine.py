"""The case engine: submits cases and moves their steps along.

- :meth:`CaseEngine.submit` validates the application against the case type's contract,
  checks the declared documents were supplied, records ``Submitted`` and advances.
- :meth:`CaseEngine.advance` sends every step whose prerequisites are approved (several at
  once when they are independent) through the :class:`~.running.StepRunner`, filling its
  input from the application, the documents and earlier answers; records what came back
  (a query's answer approves its step; an application step is acknowledged or decided);
  and repeats while steps become ready. A refused step refuses the case; when every step
  is approved the case completes and its result is issued. A step that recognises
  an earlier step's record is sent only once :mod:`.recognising` accepts it; a refused
  recognition fails the step unsent, with the reason.
- :meth:`CaseEngine.decide` records a department's later decision, sent to the step's id
  (``<case id>.<step name>``) by the department that provides the step's service.
- :meth:`CaseEngine.mark_overdue` records ``StepOverdue`` for what the cases read model's
  due index says is due (see :mod:`.overdue` for the duty that calls it).

Time is the injected ``clock``'s: production passes the wall clock, a test its own.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, TypeVar
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from contracts import ContractRegistry
from contracts.cases import CaseResult, StepDecision, StepReference
from contracts.errors import HubError
from contracts.validation import validate_contract
from hub.adapters.readmodels.cases import CaseBoard
from hub.adapters.store.ledger import Ledger
from hub.domain.case import Case
from hub.domain.case_states import (
    ACKNOWLEDGED,
    APPROVED,
    FAILED,
    OPEN,
    REFUSED_STEP,
    REQUESTED,
    WAITING,
    CaseStateError,
)
from hub.domain.errors import ExchangeConflictError
from hub.domain.time_limit import HolidayCalendar
from hub.service_layer.cases.case_type import CaseType, Step
from hub.service_layer.cases.errors import (
    CaseNotFoundError,
    DocumentsMissingError,
    StepNotYoursError,
    UnknownCaseTypeError,
)
from hub.service_layer.cases.filling import fill_input
from hub.service_layer.cases.late_answers import late_answer
from hub.service_layer.cases.recognising import (
    Recognitions,
    Sent,
    recognition_for,
    record_verdict,
)
from hub.service_layer.cases.running import StepAnswer, StepRequest, StepRunner
from hub.work import to_thread

log = structlog.get_logger("hub.service_layer.cases")
Clock = Callable[[], dt.datetime]
R = TypeVar("R")
_SAVE_ATTEMPTS = 8
"""A department's decision and the engine may change one case at once: the loser reloads
and applies its change again, up to this many times."""


RESUME_AFTER = dt.timedelta(minutes=5)
"""A step requested this long ago with no exchange recorded is taken as lost (its process
stopped) and sent again; longer than any exchange's wait for its answer."""


def step_id(case_id: UUID, step: str) -> str:
    """The id a department sends a step's decision to."""
    return f"{case_id}.{step}"


def parse_step_id(text: str) -> tuple[UUID, str]:
    case, _, step = text.partition(".")
    try:
        return UUID(case), step
    except ValueError:
        raise CaseNotFoundError(text) from None


class CaseEngine:
    """The case use cases over the ledger, the case types and a step runner."""

    def __init__(self, ledger: Ledger, registry: ContractRegistry,
                 case_types: Mapping[str, CaseType], calendars: Mapping[str, HolidayCalendar],
                 runner: StepRunner, clock: Clock, board: CaseBoard, *,
                 recognitions: Recognitions, resume_after: dt.timedelta = RESUME_AFTER) -> None:
        self.ledger = ledger
        self.registry = registry
        self.case_types = dict(case_types)
        self.calendars = dict(calendars)
        self.runner = runner
        self.recognitions = recognitions
        self.clock = clock
        self.board = board
        self.resume_after = resume_after
        self._in_flight: set[tuple[UUID, str]] = set()

    # --- commands ---
    async def submit(self, case_type: str, applicant: str, application: dict[str, Any],
                     documents: Mapping[str, str]) -> UUID:
        """File a case; raises ContractError (field issues) for a bad application."""
        kind = self._case_type(case_type)
        model = self.registry.get(kind.application)
        contract = validate_contract(model, application)
        missing = [name for name in kind.documents if not documents.get(name)]
        if missing:
            raise DocumentsMissingError(case_type, missing)
        at = self.clock()
        case = Case(
            case_type=case_type, applicant=applicant,
            application=contract.model_dump(mode="json"),
            documents={n: documents[n] for n in kind.documents},
            steps={s.name: str(s.service) for s in kind.steps},
            data_subject=self.ledger.keyring.ref_of(contract), at=at,
            due_at=self.calendars[kind.region].due(at, kind.time_limit),
        )
        await self.ledger.append(case)
        log.info("case submitted", case_id=str(case.id), case_type=case_type)
        await self.advance(case.id, case)
        return case.id

    async def advance(self, case_id: UUID, case: Case | None = None) -> Case:
        """Send the steps that are ready; record their answers; close the case when done.

        Each round first *claims* the ready steps (``StepRequested``, saved under the
        case's expected version: of two writers, one claims a step and the other reloads
        and finds it taken), then sends only what it claimed, then records the answers.
        ``case``: the case as the caller just saved it, carried instead of loaded again.
        """
        case = case if case is not None else await self._load(case_id)
        kind = self._case_type(case.case_type)
        for _ in range(len(kind.steps) + 1):  # each round approves a step, or stops
            if case.status != OPEN:
                break
            case, claimed = await self._change(case_id, partial(
                self._claim, kind=kind, at=self.clock()), known=case)
            if not claimed:
                break
            case = await self._send_and_record(case, kind, claimed)
        return case

    async def resume(self) -> list[UUID]:
        """Advance every open case with a step due to be sent and not sent: ready but not
        requested, or requested but its exchange never recorded (the process stopped
        between the two writes). Found from the cases read model, never from history.
        A claim younger than ``resume_after`` and made by this engine is in flight, not lost."""
        resumed = []
        now = self.clock()
        for row in await to_thread(self.board.cases):
            kind = self.case_types.get(row.case_type)
            if row.status != OPEN or kind is None:
                continue
            states = {s.name: s for s in row.steps}
            lost = [s.name for s in row.steps if s.state == REQUESTED and not s.exchange_id
                    and (row.id, s.name) not in self._in_flight
                    and s.since is not None and s.since <= now - self.resume_after]
            ready = any(states[s.name].state == WAITING and all(
                states[b].state == APPROVED for b in s.after) for s in kind.steps)
            if lost:
                case = await self._load(row.id)
                lost = [n for n in lost if case.unsent(n)]
                if lost:
                    await self._send_and_record(case, kind, lost)
            late = {s.name: a for s in row.steps if s.state == FAILED
                    and (a := await to_thread(late_answer, self.ledger, s.exchange_id))}
            if late:
                await self._change(row.id, partial(self._record_late, kind=kind, late=late))
            if lost or ready or late:
                await self.advance(row.id)
                resumed.append(row.id)
                log.info("case resumed", case_id=str(row.id), resent=lost, late=list(late))
        return resumed

    async def retry(self, step: str) -> Case:
        """Send a failed step again (its exchange was refused, failed or dead-lettered)."""
        case_id, name = parse_step_id(step)
        case = await self._load(case_id)
        if name not in case.steps:
            raise CaseNotFoundError(step)
        kind = self._case_type(case.case_type)
        at = self.clock()

        def claim(case: Case) -> list[str]:
            if case.steps[name]["state"] != FAILED:
                raise CaseStateError(case.id, f"retry step {name}",
                                     f"it is {case.steps[name]['state']}, not failed")
            self._request(case, kind.step(name), at)
            return [name]

        case, claimed = await self._change(case_id, claim)
        case = await self._send_and_record(case, kind, claimed)
        return await self.advance(case_id, case)

    async def decide(self, step: str, department: str, decision: Mapping[str, Any]) -> Case:
        """Record a department's decision on ``step`` (its id), then advance the case."""
        case_id, name = parse_step_id(step)
        case = await self._load(case_id)
        if name not in case.steps:
            raise CaseNotFoundError(step)
        service = case.steps[name]["service"]
        if service.rsplit("/", 1)[0] != department:
            raise StepNotYoursError(step, department, service)
        answer = validate_contract(StepDecision, decision)
        if _already(case.steps[name], answer):
            return case  # a department's retry of a decision recorded: answered the same
        at = self.clock()
        kind = self._case_type(case.case_type)
        case, _ = await self._change(case_id, partial(
            self._record_decision, kind=kind, name=name, answer=answer, at=at), known=case)
        return await self.advance(case_id, case)

    async def supply_information(self, case_id: UUID, documents: Mapping[str, str]) -> Case:
        """The applicant answered a request for more information; the steps run again."""
        at = self.clock()
        case, _ = await self._change(case_id, lambda c: c.supply_information(dict(documents), at))
        return await self.advance(case_id, case)

    async def withdraw(self, case_id: UUID, reason: str) -> Case:
        at = self.clock()
        case, _ = await self._change(case_id, lambda c: c.withdraw(reason, at))
        return case

    async def mark_overdue(self) -> list[tuple[UUID, str]]:
        """Record ``StepOverdue`` for every awaited step now past its due time (once)."""
        now = self.clock()
        marked = []
        for case_id, name in await to_thread(self.board.pop_due, now):
            _, changed = await self._change(case_id, partial(Case.mark_overdue, step=name,
                                                             at=now))
            if changed:
                marked.append((case_id, name))
                log.warning("case step overdue", case_id=str(case_id), step=name)
        return marked

    # --- recording ---
    def _claim(self, case: Case, *, kind: CaseType, at: dt.datetime) -> list[str]:
        """Record ``StepRequested`` for every ready step; the names claimed."""
        ready = [s for s in kind.steps if _ready(case, s)]
        for step in ready:
            self._request(case, step, at)
        return [s.name for s in ready]

    def _record_late(self, case: Case, *, kind: CaseType,
                     late: Mapping[str, dict[str, Any]]) -> None:
        """A failed step's requeued exchange answered: requested again (its due time
        unchanged) and answered by that exchange."""
        answers = {}
        for name, answer in late.items():
            state = case.steps[name]
            if case.status == OPEN and state["state"] == FAILED:
                answers[name] = Sent(None, StepAnswer(state["exchange_id"], answer))
                case.request_step(name, "", self.clock(), state["due_at"])
        self._record_answers(case, kind=kind, answers=answers)

    def _request(self, case: Case, step: Step, at: dt.datetime) -> None:
        due = self.calendars[step.service.region].due(at, step.time_limit)
        case.request_step(step.name, "", at, due)

    async def _send_and_record(self, case: Case, kind: CaseType, names: list[str]) -> Case:
        """Send the claimed steps ``names`` at once and record what came back."""
        keys = {(case.id, n) for n in names}
        self._in_flight |= keys
        try:
            answers = await asyncio.gather(*(self._send(case, kind, kind.step(n))
                                             for n in names))
            case, _ = await self._change(case.id, partial(
                self._record_answers, kind=kind, answers=dict(zip(names, answers,
                                                                  strict=True))), known=case)
        finally:
            self._in_flight -= keys
        return case

    def _record_answers(self, case: Case, *, kind: CaseType,
                        answers: Mapping[str, Sent]) -> None:
        for name, (verdict, answer) in answers.items():
            step = kind.step(name)
            if case.status != OPEN or not case.unsent(name):
                continue  # withdrawn meanwhile, or decided by a department already
            at = self.clock()
            if verdict is not None:
                record_verdict(case, name, verdict, at)
            if answer is None:
                continue  # not sent: its recognition was refused
            if answer.answer is None:
                log.warning("case step not delivered", case_id=str(case.id), step=name,
                            code=answer.error_code, reason=answer.error)
                case.fail_step(name, answer.exchange_id, answer.error_code, answer.error, at)
                continue
            case.send_step(name, answer.exchange_id, at)
            if step.mode == "query":
                case.decide_step(name, APPROVED, "", "", answer.answer, at)
            else:
                decision = validate_contract(StepDecision, answer.answer)
                self._record_decision(case, kind=kind, name=name, answer=decision, at=at)
        self._close(case, kind)

    def _record_decision(self, case: Case, *, kind: CaseType, name: str,
                         answer: StepDecision, at: dt.datetime) -> None:
        if answer.outcome.value == ACKNOWLEDGED:
            case.acknowledge_step(name, answer.reference, at)
        else:
            case.decide_step(name, answer.outcome.value, answer.reason, answer.reference,
                             answer.model_dump(mode="json"), at)
        self._close(case, kind)

    def _close(self, case: Case, kind: CaseType) -> None:
        if case.status != OPEN:
            return
        refused = [n for n, s in case.steps.items() if s["state"] == REFUSED_STEP]
        if refused:
            case.refuse(refused[0], self.clock())
        elif all(s["state"] == APPROVED for s in case.steps.values()):
            at = self.clock()
            case.complete(at)
            result = CaseResult(
                national_id=case.application["national_id"], completed_on=at.date(),
                references=[StepReference(step=n, reference=case.steps[n]["reference"])
                            for n in kind.result_steps if case.steps[n]["reference"]])
            case.issue_result(kind.result, result.model_dump(mode="json"), at)

    # --- plumbing ---
    async def _send(self, case: Case, kind: CaseType, step: Step) -> Sent:
        """Send ``step`` once the record it recognises (if any) is accepted here."""
        verdict = await recognition_for(self.recognitions, case, kind, step)
        if verdict is not None and not verdict.accepted:
            return Sent(verdict, None)
        answers = {n: s["answer"] for n, s in case.steps.items() if s["answer"] is not None}
        document = fill_input(step, case.application, case.documents, answers)
        attested = any(s.recognise == step.name for s in kind.steps)
        return Sent(verdict, await self.runner.run(StepRequest(
            str(case.id), step.name, str(step.service), step.purpose, document, attested)))

    async def _change(self, case_id: UUID, change: Callable[[Case], R], *,
                      known: Case | None = None) -> tuple[Case, R]:
        """Apply ``change`` to the case and save it (nothing to save: no write); again
        from a fresh load if another writer saved first. ``known``: the case as this
        engine last saved it, tried first instead of a load (the save's version check
        catches a stale one). The case saved, and what ``change`` returned."""
        for _ in range(_SAVE_ATTEMPTS):
            case = known if known is not None else await self._load(case_id)
            known = None
            value = change(case)
            if not case.pending_events:
                return case, value
            try:  # shares a transaction with concurrent writes (group commit)
                await self.ledger.append(case)
            except (IntegrityError, ExchangeConflictError):  # another writer saved first
                continue
            return case, value
        raise CaseConflictError(case_id)

    async def _load(self, case_id: UUID) -> Case:
        return await to_thread(self._get, case_id)

    def _get(self, case_id: UUID) -> Case:
        try:
            case: object = self.ledger.repository.get(case_id)
        except AggregateNotFoundError:
            raise CaseNotFoundError(str(case_id)) from None
        if not isinstance(case, Case):
            raise CaseNotFoundError(str(case_id))
        return case

    def _case_type(self, name: str) -> CaseType:
        try:
            return self.case_types[name]
        except KeyError:
            raise UnknownCaseTypeError(name, sorted(self.case_types)) from None


def _already(state: Mapping[str, Any], answer: StepDecision) -> bool:
    """Whether ``answer`` is the decision (or acknowledgement) the step already has."""
    outcome = answer.outcome.value
    return state["state"] == outcome and state["reference"] == answer.reference and (
        outcome == ACKNOWLEDGED or state["reason"] == answer.reason)


def _ready(case: Case, step: Step) -> bool:
    return case.steps[step.name]["state"] == WAITING and all(
        case.steps[before]["state"] == APPROVED for before in step.after)


class CaseConflictError(HubError):
    """Raised when a case kept changing under the engine's feet (busy beyond retries)."""

    code = "case-conflict"
    status = 503
    retryable = True

    def __init__(self, case_id: UUID) -> None:
        super().__init__(f"case {case_id} was changed concurrently too often; try again")
