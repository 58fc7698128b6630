"""``GET /documents/{document_id}/content``: a document's bytes, for auditors, while the hub runs.

``authorize`` is the operators' dependency (a console session or an operator token whose role
grants reading documents' bytes, i.e. an auditor); the router has no default, so it cannot be
mounted open by mistake. Each read is recorded twice: as a disclosure of the document to
``operator:<name>`` (so the data-use report lists it) and, through ``record``, in the
operators' action log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends
from starlette.responses import JSONResponse, Response, StreamingResponse

from contracts.errors import HubError
from hub.adapters.documents.sniffing import DEFAULT_ALLOWED
from hub.entrypoints.http.problems import PROBLEM_MEDIA
from hub.service_layer.documents.reading import record_auditor_read
from hub.service_layer.documents.supply import Documents

ContentRead = Callable[[Any, str], object]
"""``record(reader, document_id)``: called after each read is recorded as a disclosure."""


def document_content_router(documents: Documents, *, authorize: Callable[..., Any],
                            record: ContentRead) -> APIRouter:
    """The auditors' content route, guarded by ``authorize``."""
    router = APIRouter(tags=["documents"])
    binary = {"schema": {"type": "string", "format": "binary"}}
    problem = {PROBLEM_MEDIA: {"schema": {"type": "object"}}}

    @router.get(
        "/documents/{document_id}/content",
        summary="A document's bytes (auditors; each read recorded as a disclosure)",
        response_class=StreamingResponse,
        responses={200: {"description": "the document's bytes",
                         "content": {t: binary for t in DEFAULT_ALLOWED}},
                   401: {"description": "no operator session or token"},
                   403: {"description": "the operator's role may not read documents' bytes"},
                   404: {"description": "no such document", "content": problem},
                   410: {"description": "its subject was forgotten", "content": problem}},
    )
    # A closure's dependency cannot be named in a string annotation (this module's
    # annotations are postponed), so it is the parameter's default, as FastAPI allows.
    async def content(document_id: str,
                      reader: Any = Depends(authorize)) -> Response:  # noqa: B008
        try:
            document = await asyncio.to_thread(documents.get, document_id)
            body = await documents.open(document)
        except HubError as exc:
            return JSONResponse({"code": exc.code, "detail": exc.message,
                                 "issues": [i.as_dict() for i in exc.issues]},
                                status_code=exc.status, media_type=PROBLEM_MEDIA)
        await asyncio.to_thread(record_auditor_read, documents.ledger, document,
                                reader.operator)
        await asyncio.to_thread(record, reader, document_id)
        return StreamingResponse(body, media_type=document.media_type, headers={
            "Content-Length": str(document.size), "X-Document-Sha256": document.sha256,
            "Cache-Control": "no-store"})

    return router
