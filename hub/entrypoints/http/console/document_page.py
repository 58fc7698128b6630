"""The console's documents: every supplied document, and one document's history.

Viewers see what the ledger says — who supplied which document, of what type and size,
about which subject reference, and every disclosure since — never the bytes (those are
for auditors, by ``interop-hub documents get``).
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import Response

from contracts.errors import HubError
from hub.adapters.store.ledger import Ledger
from hub.service_layer.documents.views import document_history, list_documents
from hub.service_layer.operators import ActiveSession, Permission

LISTED = 500
"""The newest documents the list page shows."""


class ConsolePages(Protocol):
    """What these pages need of the console's pages (:class:`~hub.entrypoints.http.console.
    pages.ConsolePages` is one)."""

    def render(self, request: Request, template: str, title: str,
               session: ActiveSession | None, *, status: int = 200,
               **context: Any) -> Response: ...

    async def need(self, request: Request, permission: Permission
                   ) -> ActiveSession | Response: ...


def document_routes(router: APIRouter, pages: ConsolePages, ledger: Ledger) -> None:
    """``GET /console/documents`` and ``GET /console/documents/{document_id}``."""

    @router.get("/console/documents")
    async def documents(request: Request) -> Response:
        session = await pages.need(request, Permission.VIEW)
        if not isinstance(session, ActiveSession):
            return session
        found = await asyncio.to_thread(list_documents, ledger)
        return pages.render(request, "documents.html", "Documents", session,
                            documents=list(reversed(found))[:LISTED], total=len(found))

    @router.get("/console/documents/{document_id}")
    async def document(request: Request, document_id: str) -> Response:
        session = await pages.need(request, Permission.VIEW)
        if not isinstance(session, ActiveSession):
            return session
        try:
            history = await asyncio.to_thread(document_history, ledger, document_id)
        except HubError as exc:
            return pages.render(request, "error.html", "No such document", session,
                                status=404, error=exc.message)
        return pages.render(request, "document.html", f"Document {document_id[:8]}", session,
                            document_id=document_id, entries=history)
