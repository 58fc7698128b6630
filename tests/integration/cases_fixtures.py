"""Shared pieces of the case tests: the shipped case types, a movable clock, departments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts import default_registry
from hub.service_layer.cases.case_type import CaseType, read_case_type
from hub.service_layer.cases.checking import check_case_type, load_calendar
from hub.service_layer.cases.recognising import Asked, Verdict, refused
from hub.service_layer.cases.running import StepAnswer, StepRequest
from hub.service_layer.exchanges.routing import load_services

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "deploy" / "cases"
SERVICES = {
    "relocation": [ROOT / "deploy/services/north.toml", CASES / "services" / "south.toml"],
    "business-opening": [CASES / "services" / "north.toml"],
}


def shipped(name: str) -> CaseType:
    """A shipped case type, checked clean against its services."""
    registry = default_registry()
    case_type, findings = read_case_type(CASES / f"{name}.toml")
    assert case_type is not None and not findings
    services = [s for path in SERVICES[name] for s in load_services(path, registry)]
    assert check_case_type(case_type, registry, services) == []
    return case_type


def calendars() -> dict[str, Any]:
    return {r: load_calendar(ROOT / "deploy" / "calendars", r) for r in ("north", "south")}


@dataclass
class Clock:
    """The hub's clock, moved by the test (the engine's ``clock`` parameter)."""

    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now

    def move(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


Answer = Callable[[StepRequest], dict[str, Any]]


@dataclass
class Departments:
    """The departments a case's steps reach: each service answers as the test says.

    A step runner (the engine's port) for tests that are about the case, not the exchange
    path; every request is kept so a test can see what each department was sent.
    """

    answers: dict[str, Answer] = field(default_factory=dict)
    received: list[StepRequest] = field(default_factory=list)

    async def run(self, request: StepRequest) -> StepAnswer:
        self.received.append(request)
        respond = self.answers[request.service]
        return StepAnswer(f"exchange-{len(self.received)}", respond(request))

    def sent_to(self, service: str) -> list[dict[str, Any]]:
        return [r.document for r in self.received if r.service == service]


def acknowledged(reference: str) -> Answer:
    return lambda request: {"national_id": request.document["national_id"],
                            "outcome": "acknowledged", "reference": reference}


NATIONAL_ID = "19800101-1234"


def decided(outcome: str, reference: str, reason: str = "") -> dict[str, Any]:
    return {"national_id": NATIONAL_ID, "outcome": outcome, "reference": reference,
            "reason": reason, "decided_on": "2026-12-10"}


@dataclass
class Recognising:
    """This region's recognition of other regions' records, as the test says (the engine's
    ``recognitions`` port): accepted, or refused with ``code``; every question is kept."""

    code: str = ""
    asked: list[Asked] = field(default_factory=list)

    async def check(self, asked: Asked) -> Verdict:
        self.asked.append(asked)
        if self.code:
            return refused(asked, self.code, f"the test refuses ({self.code})")
        return Verdict(asked.step, asked.origin, asked.record_id, kid="kid-1",
                       agreement_id="agreement-1")
