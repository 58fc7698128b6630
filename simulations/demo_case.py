"""The demo's one-stop case: a person moves from north to south (``demo --regions N``).

South holds the case (``HUB_CASES`` = ``deploy/cases/demo``: the shipped relocation, its
vehicle step promised in seconds); the departments' case desks
(:mod:`simulations.case_desks`) take each step in their own JSON shape and acknowledge it;
the departments then decide through the hub's decision endpoint, each with its own token,
as a real department would. What the step does:

1. south's portal supplies the applicant's proof of address (``POST /documents``) and
   files the case (``POST /cases``); north answers the contribution record attested, and
   south recognises that record before the insurance transfer goes out;
2. social security asks for more information (the lease is unsigned); the portal
   supplies a signed one (``POST /cases/{id}/information``), the transfer runs again and
   is acknowledged anew;
3. the tax office decides after a delay; its reference lets the vehicle step go out;
4. the vehicles office lets its step run past its limit (``StepOverdue``), then decides;
   the case completes.

It prints the case's timeline — each step's state, department, since, due, recognition,
and what happened to it when — and the address of south's transparency page.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from contracts import default_registry
from hub.domain.case import Case
from hub.entrypoints.http.asgi_server import serve_asgi
from hub.entrypoints.serve import Hub
from hub.service_layer.cases.engine import step_id
from hub.service_layer.exchanges.routing import ServiceDefinition, load_services
from hub.settings import HubSettings
from simulations.case_desks.app import CaseDeskBehaviour, case_desks_app
from simulations.credentials import bearer, issue_demo_tokens

ROOT = Path(__file__).resolve().parents[1]
CASE_TYPES = ROOT / "deploy" / "cases" / "demo"
"""The case types the demo's south runs (its vehicle step is promised in seconds)."""
CASE_TYPE = "relocation-demo@1.0"
PORTAL, DESK = "south/portal", "south/one-stop"
APPLICANT = "19800101-1234"
APPLICATION = {
    "national_id": APPLICANT, "family_name": "Rossi", "given_names": "Maria Elena",
    "origin_region": "north", "destination_region": "south",
    "new_address": "Via Roma 1, Southtown", "move_date": "2026-12-01",
    "insured_since": "2010-01-01", "vehicle_plate": "AB123CD",
}
LEASE = b"%PDF-1.7\n1 0 obj\n(Lease of Via Roma 1, Southtown)\nendobj\n%%EOF\n"
SIGNED_LEASE = b"%PDF-1.7\n1 0 obj\n(Lease of Via Roma 1, Southtown, signed)\nendobj\n%%EOF\n"
DECISION_DELAY_S = 2.0
"""How long the tax office takes to decide after acknowledging."""
_OVERDUE_WAIT_S = 10.0
_POLL_S = 0.2


def case_services(region: str, desks_url: str) -> list[ServiceDefinition]:
    """The region's shipped case-step services, reaching the demo's case desks."""
    path = ROOT / "deploy" / "cases" / "services" / f"{region}.toml"
    return [dataclasses.replace(s, endpoint=desks_url)
            for s in load_services(path, default_registry())]


def case_region(settings: HubSettings, desks_url: str
                ) -> tuple[HubSettings, list[ServiceDefinition]]:
    """South holds the demo's cases: its settings (``cases``) and its case-step services;
    any other region unchanged."""
    if settings.region != "south":
        return settings, []
    return (settings.model_copy(update={"cases": CASE_TYPES}),
            case_services("south", desks_url))


async def start_case_desks(stack: contextlib.AsyncExitStack) -> str:
    """Serve the departments' case desks on a free loopback port until ``stack`` closes."""
    return await stack.enter_async_context(
        serve_asgi(case_desks_app(CaseDeskBehaviour()), name="case-desks"))


async def grant_case_rights(north: Hub, south: Hub) -> None:
    """South's one-stop desk may ask north for contribution records and its own
    departments for their steps; its portal may supply documents for the transfer."""
    grants = [(north, DESK, "north/social-security/contribution-history",
               "benefit-eligibility")]
    grants += [(south, DESK, f"south/{s}", "relocation") for s in (
        "social-security/insurance-transfer", "tax/registration", "vehicles/re-registration")]
    grants.append((south, PORTAL, "south/social-security/insurance-transfer", "relocation"))
    for hub, client, service, purpose in grants:
        policy = hub.access
        assert policy is not None
        await asyncio.to_thread(policy.rights.grant, client, service, (purpose,), by="demo")


@dataclass
class CaseRun:
    """What the case step did: the case, its events and its timeline, or what went wrong."""

    transparency: str
    case_id: str = ""
    status: str = ""
    overdue: list[str] = field(default_factory=list)  # the steps marked overdue
    timeline: list[str] = field(default_factory=list)
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem and self.status == "completed" and self.overdue == [
            "vehicle-re-registration"]

    def lines(self) -> list[str]:
        head = ([f"case: FAILED — {self.problem}"] if self.problem else
                [f"case {self.case_id} ({CASE_TYPE}) in south: {self.status}, "
                 f"{len(self.overdue)} step overdue ({', '.join(self.overdue) or 'none'})"])
        return [*head, *self.timeline,
                f"transparency: {self.transparency} (published figures, no personal data)"]


class _Refused(Exception):
    """A demo request was not answered as the demo expects."""


async def relocation_case(north: Hub, south: Hub, tokens: dict[str, str]) -> CaseRun:
    """Run the case of the module docstring; ``tokens``: south's departments' tokens."""
    run = CaseRun(f"{south.http_url}/transparency")
    await grant_case_rights(north, south)
    tokens = {**tokens, **await issue_demo_tokens(south, [PORTAL, "south/vehicles"])}
    async with httpx.AsyncClient(base_url=south.http_url, timeout=30) as http:
        demo = _Portal(http, tokens)
        try:
            run.case_id = await demo.file()
            await demo.decide("insurance-transfer", "south/social-security",
                              "more-information-needed", "SS-000001", "the lease is unsigned")
            await demo.supply_signed_lease(run.case_id)
            await asyncio.sleep(DECISION_DELAY_S)
            await demo.decide("tax-registration", "south/tax", "approved", "TAX-000001")
            await demo.decide("insurance-transfer", "south/social-security", "approved",
                              "SS-000002")
            await demo.await_overdue(run.case_id, "vehicle-re-registration")
            await demo.decide("vehicle-re-registration", "south/vehicles", "approved",
                              "VEH-000001")
            shown = await demo.progress(run.case_id)
        except _Refused as exc:
            run.problem = str(exc)
            return run
    events: list[Any] = await asyncio.to_thread(
        lambda: list(south.ledger.events.get(UUID(run.case_id))))
    run.status = shown["status"]
    run.overdue = [e.step for e in events if isinstance(e, Case.StepOverdue)]
    run.timeline = timeline(shown, events)
    return run


class _Portal:
    """South's portal and departments, each calling the hub with its own token."""

    def __init__(self, http: httpx.AsyncClient, tokens: dict[str, str]) -> None:
        self.http, self.tokens = http, tokens
        self.case_id = ""

    async def file(self) -> str:
        lease = await self._document("lease.pdf", LEASE)
        filed = await self._expect(201, self.http.post(
            "/cases", headers=bearer(self.tokens, PORTAL),
            json={"case_type": CASE_TYPE, "application": APPLICATION,
                  "documents": {"proof-of-address": lease}}))
        self.case_id = str(filed["case_id"])
        return self.case_id

    async def supply_signed_lease(self, case_id: str) -> None:
        signed = await self._document("lease-signed.pdf", SIGNED_LEASE)
        await self._expect(200, self.http.post(
            f"/cases/{case_id}/information", headers=bearer(self.tokens, PORTAL),
            json={"documents": {"proof-of-address": signed}}))

    async def decide(self, step: str, department: str, outcome: str, reference: str,
                     reason: str = "") -> None:
        await self._expect(200, self.http.post(
            f"/cases/steps/{step_id(UUID(self.case_id), step)}/decision",
            headers=bearer(self.tokens, department),
            json={"national_id": APPLICANT, "outcome": outcome, "reference": reference,
                  "reason": reason, "decided_on": dt.date.today().isoformat()}))

    async def await_overdue(self, case_id: str, step: str) -> None:
        """Wait (bounded) until the hub's overdue duty marked ``step``."""
        for _ in range(int(_OVERDUE_WAIT_S / _POLL_S)):
            shown = await self.progress(case_id)
            if any(s["name"] == step and s["overdue"] for s in shown["steps"]):
                return
            await asyncio.sleep(_POLL_S)
        raise _Refused(f"{step} was not marked overdue within {_OVERDUE_WAIT_S:.0f} s")

    async def progress(self, case_id: str) -> dict[str, Any]:
        return await self._expect(200, self.http.get(
            f"/cases/{case_id}", headers=bearer(self.tokens, PORTAL)))

    async def _document(self, name: str, content: bytes) -> str:
        supplied = await self._expect(201, self.http.post(
            "/documents", headers=bearer(self.tokens, PORTAL),
            data={"service": "south/social-security/insurance-transfer",
                  "purpose": "relocation", "subject": APPLICANT},
            files={"file": (name, content, "application/pdf")}))
        return str(supplied["document_id"])

    async def _expect(self, status: int, sent: Any) -> dict[str, Any]:
        answer: httpx.Response = await sent
        if answer.status_code != status:
            raise _Refused(f"{answer.request.method} {answer.request.url.path} answered "
                           f"{answer.status_code}: {answer.text[:200]}")
        body: dict[str, Any] = answer.json()
        return body


def timeline(shown: dict[str, Any], events: list[Any]) -> list[str]:
    """Each step: state, department, since, due, recognition; then what happened to it,
    in seconds from the case's submission."""
    start = events[0].at
    lines = [f"  {'step':<24} {'state':<9} {'who':<22} {'since':<8} {'due':<14} recognition"]
    for step in shown["steps"]:
        recognition = step["recognition"]
        seen = (f"{recognition['outcome']} {recognition['issuer']}'s record "
                f"{recognition['record_id'][:8]}" if recognition else "-")
        who = step["service"].rsplit("/", 1)[0]
        lines.append(f"  {step['name']:<24} {step['state']:<9} {who:<22} "
                     f"{_clock(step['since']):<8} {_due(step['due_at']):<14} {seen}")
        story = [f"+{(e.at - start).total_seconds():.1f}s {_said(e)}"
                 for e in events if getattr(e, "step", None) == step["name"]]
        lines.append("      " + ", ".join(story))
    return lines


def _said(event: Any) -> str:
    """One event of a step, in a few words."""
    name = type(event).__name__
    if name == "StepDecided":
        return event.decision + (f" ({event.reason})" if event.reason else "")
    if name == "StepAcknowledged":
        return f"acknowledged {event.reference}"
    if name == "StepOverdue":
        return "OVERDUE"
    return name.removeprefix("Step").lower()


def _clock(moment: str | None) -> str:
    return dt.datetime.fromisoformat(moment).strftime("%H:%M:%S") if moment else "-"


def _due(moment: str | None) -> str:
    return dt.datetime.fromisoformat(moment).strftime("%m-%d %H:%M:%S") if moment else "-"
