"""``GET /subjects/{subject}/report``: a citizen's data-use report over HTTP (operators only).

``authorize`` is a FastAPI dependency that refuses callers who may not read
reports (the hub's operator check) and returns who is asking; the router has no
default, so it cannot be mounted open by mistake. Reading a report is itself a
use of the subject's data: ``record`` is told who read which subject's report
(by pseudonymous reference, never the identifier asked with) and how many uses
it listed, so the hub can keep that as an operator action.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends
from starlette.responses import JSONResponse

from contracts.errors import HubError
from hub.adapters.projections.data_use_book import DataUseBook
from hub.service_layer.security.report import subject_report

ReportRead = Callable[[Any, str, int], None]
"""``record(reader, subject_ref, uses)``: called after each report is built."""


def report_router(book: DataUseBook, *, authorize: Callable[..., Any],
                  record: ReportRead | None = None) -> APIRouter:
    """The report route, guarded by ``authorize``; each read reported to ``record``."""
    router = APIRouter(tags=["subjects"])

    @router.get(
        "/subjects/{subject}/report",
        summary="Every use of a data subject's data: when, who, purpose, fields, basis",
        responses={400: {"description": "the subject cannot be named"},
                   401: {"description": "no operator session or token"},
                   403: {"description": "the operator's role may not read reports"}},
    )
    # A closure's dependency cannot be named in a string annotation (this module's
    # annotations are postponed), so it is the parameter's default, as FastAPI allows.
    async def report(subject: str, reader: Any = Depends(authorize)) -> JSONResponse:  # noqa: B008
        try:
            ref, uses = await asyncio.to_thread(subject_report, book, subject)
        except HubError as exc:
            return JSONResponse(
                {"code": exc.code, "detail": exc.message,
                 "issues": [i.as_dict() for i in exc.issues]},
                status_code=400, media_type="application/problem+json",
            )
        if record is not None:
            await asyncio.to_thread(record, reader, ref, len(uses))
        return JSONResponse({"subject": ref, "uses": [use.as_dict() for use in uses]})

    return router
