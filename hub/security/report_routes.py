"""``GET /subjects/{subject}/report``: a citizen's data-use report over HTTP (operators only).

``authorize`` is a FastAPI dependency that refuses callers who may not read
reports (the hub's operator check); the router has no default, so it cannot be
mounted open by mistake.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends
from starlette.responses import JSONResponse

from contracts.errors import HubError
from hub.ledger import Ledger
from hub.security.report import data_use_report


def report_router(ledger: Ledger, *, authorize: Callable[..., Any]) -> APIRouter:
    """The report route, guarded by ``authorize``."""
    router = APIRouter(tags=["subjects"])

    @router.get(
        "/subjects/{subject}/report",
        summary="Every use of a data subject's data: when, who, purpose, fields, basis",
        dependencies=[Depends(authorize)],
    )
    async def report(subject: str) -> JSONResponse:
        try:
            body = await asyncio.to_thread(_report, ledger, subject)
        except HubError as exc:
            return JSONResponse(
                {"code": exc.code, "detail": exc.message,
                 "issues": [i.as_dict() for i in exc.issues]},
                status_code=400, media_type="application/problem+json",
            )
        return JSONResponse(body)

    return router


def _report(ledger: Ledger, subject: str) -> dict[str, Any]:
    if ledger.keyring is None:
        raise HubError("this ledger has no keyring: subjects cannot be named")
    ref = ledger.keyring.resolve(subject)
    uses = data_use_report(ledger, ref)
    return {"subject": ref, "uses": [use.as_dict() for use in uses]}
