"""Operators' actions on cases: send a failed step again.

A step fails when its exchange was refused, failed or dead-lettered, or when the
recognition of the record it relies on was refused: the department decided nothing and
the case stays open. Once an operator has fixed the cause (an access right granted, the
provider back, the peer's key trusted) they retry the step, and the case engine sends it
again as a new exchange and records what comes back. It takes the permission that
requeueing a dead letter takes, and it is recorded as an operator action (``case.retry``
on the step id), whether it succeeds or not:

- ``POST /api/cases/steps/{step_id}/retry`` (the operator API): the step's new state;
  404 for an unknown case or step, 409 for a step that is not failed (naming its state);
- ``POST /console/cases/steps/{step_id}/retry`` (the *Retry* form on the case's page,
  with the session's CSRF token): back to the case's page with the outcome.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response

from contracts.errors import HubError
from hub.domain.case import Case
from hub.entrypoints.http.console.api import OPERATOR_RESPONSES
from hub.entrypoints.http.console.pages import ConsolePages
from hub.service_layer.cases.engine import CaseEngine, parse_step_id
from hub.service_layer.operators import ActiveSession, Permission

ACTION = "case.retry"


def case_actions_router(pages: ConsolePages, engine: CaseEngine) -> APIRouter:
    """The retry of a failed step: in the operator API and as the case page's form."""
    router = APIRouter()
    router.include_router(_api_router(pages, engine))
    router.include_router(_form_router(pages, engine))
    return router


async def retry(engine: CaseEngine, step_id: str) -> tuple[Case, str, str]:
    """Send the failed step ``step_id`` again: the case, the outcome and its detail."""
    case = await engine.retry(step_id)
    _, name = parse_step_id(step_id)
    step = case.steps[name]
    detail = f"step {name} is {step['state']}" + (f" ({step['reason']})" if step["reason"]
                                                   else "") + f"; the case is {case.status}"
    return case, "retried", detail


def _api_router(pages: ConsolePages, engine: CaseEngine) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["operators"], responses=OPERATOR_RESPONSES)

    @router.post("/cases/steps/{step_id}/retry", summary="Send a failed case step again",
                 responses={404: {"description": "no such case or step"},
                            409: {"description": "the step is not failed"}})
    async def retry_step(request: Request, step_id: str) -> dict[str, Any]:
        session = await pages.auth.api_session(request, Permission.REQUEUE)
        try:
            case, outcome, detail = await retry(engine, step_id)
        except HubError as exc:
            await asyncio.to_thread(pages.directory.record, session, ACTION, step_id,
                                    "failed", exc.message)
            raise HTTPException(exc.status, exc.message) from None
        await asyncio.to_thread(pages.directory.record, session, ACTION, step_id, outcome,
                                detail)
        step = case.steps[parse_step_id(step_id)[1]]
        return {"step_id": step_id, "case_id": str(case.id), "case_status": case.status,
                "state": step["state"], "reason": step["reason"],
                "exchange_id": step["exchange_id"]}

    return router


def _form_router(pages: ConsolePages, engine: CaseEngine) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.post("/console/cases/steps/{step_id}/retry")
    async def retry_form(request: Request, step_id: str, csrf: str = Form("")) -> Response:
        session = await pages.checked(request, Permission.REQUEUE, csrf, ACTION, step_id)
        if not isinstance(session, ActiveSession):
            return session

        async def run() -> tuple[str, str]:
            _, outcome, detail = await retry(engine, step_id)
            return outcome, detail

        return await pages.conclude(session, ACTION, step_id, run(), _case_page(step_id))

    return router


def _case_page(step_id: str) -> str:
    """The page of the step's case (the cases listing for what names no case)."""
    try:
        return f"/console/cases/{parse_step_id(step_id)[0]}"
    except HubError:
        return "/console/cases"
