"""The console's data-use report page: a citizen's report, for auditors.

The identifier travels in a POST body, never in a URL (URLs end up in access
logs and browser history), and each reading is an operator action naming the
subject only by pseudonymous reference.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Protocol

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from contracts.errors import HubError
from hub.service_layer.operators import ActiveSession, Permission

if TYPE_CHECKING:
    from hub.entrypoints.http.console.queries import ConsoleQueries
    from hub.service_layer.operators import OperatorDirectory

ACTION = "subject.report"


class ConsolePages(Protocol):
    """What this page needs of the console's pages (:class:`~hub.entrypoints.http.console.
    pages.ConsolePages` is one): queries, the operator directory, sessions and rendering."""

    queries: ConsoleQueries
    directory: OperatorDirectory

    def render(self, request: Request, template: str, title: str,
               session: ActiveSession | None, *, status: int = 200,
               **context: Any) -> Response: ...

    async def need(self, request: Request, permission: Permission
                   ) -> ActiveSession | Response: ...

    async def checked(self, request: Request, permission: Permission, csrf: str,
                      action: str, target: str) -> ActiveSession | Response: ...


def record_report_read(directory: OperatorDirectory, reader: ActiveSession, subject_ref: str,
                       uses: int) -> None:
    """Keep an operator's reading of a subject's report as an operator action (page or API)."""
    directory.record(reader, ACTION, subject_ref, "read", f"{uses} uses listed")


def subject_routes(router: APIRouter, pages: ConsolePages) -> None:
    """``GET /console/subjects`` (the form) and ``POST /console/subjects`` (the report)."""
    q = pages.queries

    @router.get("/console/subjects")
    async def subject_form(request: Request) -> Response:
        session = await pages.need(request, Permission.SUBJECT_REPORTS)
        if not isinstance(session, ActiveSession):
            return session
        return pages.render(request, "subjects.html", "Data-use reports", session, ref=None)

    @router.post("/console/subjects")
    async def subject_report(request: Request, subject: str = Form(""),
                             csrf: str = Form("")) -> Response:
        session = await pages.checked(request, Permission.SUBJECT_REPORTS, csrf, ACTION, "")
        if not isinstance(session, ActiveSession):
            return session
        try:
            ref, uses = await asyncio.to_thread(q.subject_report, subject)
        except HubError as exc:
            await asyncio.to_thread(pages.directory.record, session, ACTION, "", "failed",
                                    exc.message)
            return pages.render(request, "subjects.html", "Data-use reports", session,
                                status=400, ref=None, error=exc.message)
        await asyncio.to_thread(record_report_read, pages.directory, session, ref, len(uses))
        return pages.render(request, "subjects.html", "Data-use reports", session, ref=ref,
                            uses=uses)
