"""The demos' one-stop cases: one script, acted out by a portal and departments.

``interop-hub demo`` runs a business opening in north (:data:`BUSINESS_OPENING`),
``demo --regions N`` a relocation from north to south (:data:`RELOCATION`). The region
holding the case runs the case types of ``deploy/cases/demo/<region>/`` (``HUB_CASES``: the
shipped type, its last step promised in seconds); the departments' case desks
(:mod:`simulations.case_desks`) take each step in their own JSON shape and acknowledge it;
the departments then decide through the hub's decision endpoint, each with its own token,
as a real department would. A :class:`CaseScript` tells the same story for either case:

1. the holding region's portal supplies the applicant's document (``POST /documents``)
   and files the case (``POST /cases``); a step recognising another region's record
   (the relocation's contribution record) waits for that record's attestation;
2. one department asks for more information (:attr:`CaseScript.asked`); the portal
   supplies the document again (``POST /cases/{id}/information``), the step runs again
   and is acknowledged anew;
3. another department decides after a delay (:attr:`CaseScript.delayed`); the first
   approves;
4. the last step runs past its limit (``StepOverdue``), then its department decides; the
   case completes.

It prints the case's timeline (:mod:`simulations.case_timeline`) and the address of the
holding region's transparency page.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from contracts import default_registry
from hub.domain.case import Case
from hub.entrypoints.http.asgi_server import serve_asgi
from hub.entrypoints.serve import Hub
from hub.service_layer.cases.case_type import CaseType, Step, read_case_type
from hub.service_layer.cases.engine import step_id
from hub.service_layer.exchanges.routing import ServiceDefinition, load_services
from hub.settings import HubSettings
from simulations.case_desks.app import CaseDeskBehaviour, case_desks_app
from simulations.case_timeline import timeline
from simulations.credentials import bearer, issue_demo_tokens

ROOT = Path(__file__).resolve().parents[1]
CASE_TYPES = ROOT / "deploy" / "cases" / "demo"
"""The demos' case types, a folder per holding region (their last step promised in seconds)."""
DECISION_DELAY_S = 2.0
"""How long the delayed department takes to decide after acknowledging."""
_OVERDUE_WAIT_S = 10.0
_POLL_S = 0.2


@dataclass(frozen=True)
class Decision:
    """What the department providing ``step`` decides, with its reference."""

    step: str
    outcome: str
    reference: str
    reason: str = ""


@dataclass(frozen=True)
class CaseScript:
    """One demo case: its type (a file under :data:`CASE_TYPES`), the application, the
    document as first supplied and as asked for (file name, bytes), and the departments'
    decisions in the order of the module docstring."""

    file: Path
    application: dict[str, str]
    documents: tuple[tuple[str, bytes], tuple[str, bytes]]
    asked: Decision  # more information needed
    delayed: Decision
    approved: Decision  # the asked step, once it has the information
    overdue: Decision  # the step left to run past its limit

    @cached_property
    def kind(self) -> CaseType:
        kind, problems = read_case_type(self.file)
        if kind is None or problems:
            raise ValueError(f"{self.file}: {problems}")
        return kind

    @property
    def decisions(self) -> tuple[Decision, ...]:
        return (self.asked, self.delayed, self.approved, self.overdue)

    @property
    def region(self) -> str:
        """The region that holds the case."""
        return self.kind.region

    @property
    def portal(self) -> str:
        return f"{self.region}/portal"

    @property
    def document_step(self) -> Step:
        """The step the applicant's document goes to."""
        return next(s for s in self.kind.steps
                    if any(x.origin == "documents" for x in s.inputs.values()))

    def department(self, step: str) -> str:
        """``region/department`` providing ``step``."""
        return str(next(s for s in self.kind.steps if s.name == step).service.provider)


BUSINESS_OPENING = CaseScript(
    CASE_TYPES / "north" / "business-opening.toml",
    {"national_id": "19850315-4321", "family_name": "Bianchi", "given_names": "Luca",
     "trade_name": "Bianchi Bicycles", "activity_code": "47.64",
     "business_address": "Market Street 5, Northtown", "starts_on": "2026-12-01"},
    (("passport.pdf", b"%PDF-1.7\n1 0 obj\n(Passport, page 1)\nendobj\n%%EOF\n"),
     ("passport-both-pages.pdf",
      b"%PDF-1.7\n1 0 obj\n(Passport, pages 1 and 2)\nendobj\n%%EOF\n")),
    asked=Decision("business-registration", "more-information-needed", "BR-000001",
                   "the passport's second page is missing"),
    delayed=Decision("tax-registration", "approved", "TAX-000001"),
    approved=Decision("business-registration", "approved", "BR-000002"),
    overdue=Decision("self-employed-insurance", "approved", "SE-000001"),
)
"""``interop-hub demo``: north's business register asks for the passport's second page."""

RELOCATION = CaseScript(
    CASE_TYPES / "south" / "relocation.toml",
    {"national_id": "19800101-1234", "family_name": "Rossi", "given_names": "Maria Elena",
     "origin_region": "north", "destination_region": "south",
     "new_address": "Via Roma 1, Southtown", "move_date": "2026-12-01",
     "insured_since": "2010-01-01", "vehicle_plate": "AB123CD"},
    (("lease.pdf", b"%PDF-1.7\n1 0 obj\n(Lease of Via Roma 1, Southtown)\nendobj\n%%EOF\n"),
     ("lease-signed.pdf",
      b"%PDF-1.7\n1 0 obj\n(Lease of Via Roma 1, Southtown, signed)\nendobj\n%%EOF\n")),
    asked=Decision("insurance-transfer", "more-information-needed", "SS-000001",
                   "the lease is unsigned"),
    delayed=Decision("tax-registration", "approved", "TAX-000001"),
    approved=Decision("insurance-transfer", "approved", "SS-000002"),
    overdue=Decision("vehicle-re-registration", "approved", "VEH-000001"),
)
"""``interop-hub demo --regions N``: south's social security asks for a signed lease."""


def case_services(region: str, desks_url: str) -> list[ServiceDefinition]:
    """The region's shipped case-step services, reaching the demo's case desks."""
    path = ROOT / "deploy" / "cases" / "services" / f"{region}.toml"
    return [dataclasses.replace(s, endpoint=desks_url)
            for s in load_services(path, default_registry())]


def case_region(settings: HubSettings, desks_url: str, script: CaseScript
                ) -> tuple[HubSettings, list[ServiceDefinition]]:
    """The region holding ``script``'s case: its settings (``cases``) and its case-step
    services; any other region unchanged."""
    if settings.region != script.region:
        return settings, []
    return (settings.model_copy(update={"cases": script.file.parent}),
            case_services(script.region, desks_url))


async def start_case_desks(stack: contextlib.AsyncExitStack) -> str:
    """Serve the departments' case desks on a free loopback port until ``stack`` closes."""
    return await stack.enter_async_context(
        serve_asgi(case_desks_app(CaseDeskBehaviour()), name="case-desks"))


async def grant_case_rights(hubs: Mapping[str, Hub], script: CaseScript) -> None:
    """The holding region's one-stop desk may ask each step's service (at the hub of the
    step's region) for the step's purpose; its portal may supply the document."""
    desk, document = f"{script.region}/one-stop", script.document_step
    grants = [(hubs[s.service.region], desk, s) for s in script.kind.steps]
    grants.append((hubs[script.region], script.portal, document))
    for hub, client, step in grants:
        policy = hub.access
        assert policy is not None
        await asyncio.to_thread(policy.rights.grant, client, str(step.service),
                                (step.purpose,), by="demo")


@dataclass
class CaseRun:
    """What the case did: the case, its events and its timeline, or what went wrong."""

    script: CaseScript
    transparency: str
    case_id: str = ""
    status: str = ""
    overdue: list[str] = field(default_factory=list)  # the steps marked overdue
    timeline: list[str] = field(default_factory=list)
    problem: str = ""

    @property
    def ok(self) -> bool:
        return (not self.problem and self.status == "completed"
                and self.overdue == [self.script.overdue.step])

    def lines(self) -> list[str]:
        head = ([f"case: FAILED — {self.problem}"] if self.problem else
                [f"case {self.case_id} ({self.script.kind.id}) in {self.script.region}: "
                 f"{self.status}, {len(self.overdue)} step overdue "
                 f"({', '.join(self.overdue) or 'none'})"])
        return [*head, *self.timeline,
                f"transparency: {self.transparency} (published figures, no personal data)"]


class _Refused(Exception):
    """A demo request was not answered as the demo expects."""


async def run_case(hubs: Mapping[str, Hub], script: CaseScript,
                   tokens: Mapping[str, str]) -> CaseRun:
    """Act ``script`` out on ``hubs`` (by region; the holding region's and those its steps
    run in); ``tokens``: departments' tokens already issued, the others are issued here."""
    hub = hubs[script.region]
    run = CaseRun(script, f"{hub.http_url}/transparency")
    await grant_case_rights(hubs, script)
    parties = {script.portal, *(script.department(d.step) for d in script.decisions)}
    issued = await issue_demo_tokens(hub, sorted(parties - set(tokens)))
    async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as http:
        portal = _Portal(http, {**tokens, **issued}, script)
        try:
            await portal.file()
            await portal.decide(script.asked)
            await portal.supply(script.documents[1])
            await asyncio.sleep(DECISION_DELAY_S)
            await portal.decide(script.delayed)
            await portal.decide(script.approved)
            await portal.await_overdue(script.overdue.step)
            await portal.decide(script.overdue)
            shown = await portal.progress()
        except _Refused as exc:
            run.case_id, run.problem = portal.case_id, str(exc)
            return run
    run.case_id = portal.case_id
    events: list[Any] = await asyncio.to_thread(
        lambda: list(hub.ledger.events.get(UUID(run.case_id))))
    run.status = shown["status"]
    run.overdue = [e.step for e in events if isinstance(e, Case.StepOverdue)]
    run.timeline = timeline(shown, events)
    return run


class _Portal:
    """The holding region's portal and departments, each calling the hub with its own
    token."""

    def __init__(self, http: httpx.AsyncClient, tokens: dict[str, str],
                 script: CaseScript) -> None:
        self.http, self.tokens, self.script = http, tokens, script
        self.case_id = ""
        self.applicant = script.application["national_id"]

    async def file(self) -> None:
        document = await self._document(*self.script.documents[0])
        filed = await self._expect(201, self.http.post(
            "/cases", headers=bearer(self.tokens, self.script.portal),
            json={"case_type": str(self.script.kind.id), "application": self.script.application,
                  "documents": {self.script.kind.documents[0]: document}}))
        self.case_id = str(filed["case_id"])

    async def supply(self, document: tuple[str, bytes]) -> None:
        """The applicant's document, asked for again: the step waiting for it runs anew."""
        supplied = await self._document(*document)
        await self._expect(200, self.http.post(
            f"/cases/{self.case_id}/information",
            headers=bearer(self.tokens, self.script.portal),
            json={"documents": {self.script.kind.documents[0]: supplied}}))

    async def decide(self, decision: Decision) -> None:
        await self._expect(200, self.http.post(
            f"/cases/steps/{step_id(UUID(self.case_id), decision.step)}/decision",
            headers=bearer(self.tokens, self.script.department(decision.step)),
            json={"national_id": self.applicant, "outcome": decision.outcome,
                  "reference": decision.reference, "reason": decision.reason,
                  "decided_on": dt.date.today().isoformat()}))

    async def await_overdue(self, step: str) -> None:
        """Wait (bounded) until the hub's overdue duty marked ``step``."""
        for _ in range(int(_OVERDUE_WAIT_S / _POLL_S)):
            shown = await self.progress()
            if any(s["name"] == step and s["overdue"] for s in shown["steps"]):
                return
            await asyncio.sleep(_POLL_S)
        raise _Refused(f"{step} was not marked overdue within {_OVERDUE_WAIT_S:.0f} s")

    async def progress(self) -> dict[str, Any]:
        return await self._expect(200, self.http.get(
            f"/cases/{self.case_id}", headers=bearer(self.tokens, self.script.portal)))

    async def _document(self, name: str, content: bytes) -> str:
        step = self.script.document_step
        supplied = await self._expect(201, self.http.post(
            "/documents", headers=bearer(self.tokens, self.script.portal),
            data={"service": str(step.service), "purpose": step.purpose,
                  "subject": self.applicant},
            files={"file": (name, content, "application/pdf")}))
        return str(supplied["document_id"])

    async def _expect(self, status: int, sent: Any) -> dict[str, Any]:
        answer: httpx.Response = await sent
        if answer.status_code != status:
            raise _Refused(f"{answer.request.method} {answer.request.url.path} answered "
                           f"{answer.status_code}: {answer.text[:200]}")
        body: dict[str, Any] = answer.json()
        return body
