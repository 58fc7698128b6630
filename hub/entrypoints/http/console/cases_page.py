"""The console's cases pages: every case with its overdue steps, and one case's timeline.

``/console/cases`` lists the cases of the cases read model (open ones first, newest first)
with how many steps are overdue; ``/console/cases/{id}`` shows each step (state, holder,
since, due by, overdue; a *Retry* button on a failed step of an open case for operators
who may requeue, see :mod:`.case_actions`) and the case's events in order: what was
requested, acknowledged, decided, marked overdue. Only the events' non-personal fields
are shown (never the application or the answers, which stay sealed).
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hub.entrypoints.http.console.document_page import ConsolePages
from hub.service_layer.cases.engine import CaseEngine
from hub.service_layer.cases.figures import DECIDED
from hub.service_layer.operators import ActiveSession, Permission

LISTED = 500
SHOWN_FIELDS = ("step", "decision", "reason", "reference", "due_at", "exchange_id",
                "of", "issuer", "record_id", "code")  # ...and a recognition's record
NAV = ("/console/cases", "Cases", Permission.VIEW)


def timeline(engine: CaseEngine, case_id: UUID) -> list[dict[str, Any]]:
    """The case's events, oldest first, each with its non-personal fields."""
    entries = []
    for event in engine.ledger.events.get(case_id):
        fields = {name: getattr(event, name) for name in SHOWN_FIELDS
                  if getattr(event, name, "") not in ("", None)}
        entries.append({"event": type(event).__name__, "at": getattr(event, "at", None),
                        "fields": fields})
    return entries


def cases_page_router(pages: ConsolePages, engine: CaseEngine) -> APIRouter:
    """``GET /console/cases`` and ``GET /console/cases/{case_id}``."""
    router = APIRouter(include_in_schema=False)

    @router.get("/console/cases")
    async def cases(request: Request) -> Response:
        session = await pages.need(request, Permission.VIEW)
        if not isinstance(session, ActiveSession):
            return session
        rows = await asyncio.to_thread(engine.board.cases)
        rows.sort(key=lambda r: (r.status != "open", -r.submitted_at.timestamp()))
        overdue = sum(1 for r in rows for s in r.steps if s.overdue and s.state not in DECIDED)
        return pages.render(request, "cases.html", "Cases", session, cases=rows[:LISTED],
                            total=len(rows), overdue=overdue, now=engine.clock())

    @router.get("/console/cases/{case_id}")
    async def case(request: Request, case_id: str, message: str = "") -> Response:
        session = await pages.need(request, Permission.VIEW)
        if not isinstance(session, ActiveSession):
            return session
        try:
            row = await asyncio.to_thread(engine.board.get, UUID(case_id))
        except ValueError:
            row = None
        if row is None:
            return pages.render(request, "error.html", "No such case", session, status=404,
                                error=f"No case {case_id} in this region.")
        events = await asyncio.to_thread(timeline, engine, row.id)
        return pages.render(request, "case.html", f"Case {case_id[:8]}", session, case=row,
                            events=events, now=engine.clock(), message=message,
                            can_retry=session.allows(Permission.REQUEUE))

    return router


