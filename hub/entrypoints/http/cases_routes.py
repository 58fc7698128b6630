"""The JSON edge of one-stop cases.

- ``POST /cases`` — a portal department files a case for an applicant:
  ``{"case_type": "relocation@1.0", "application": {...}, "documents": {"name": "id"}}``;
  answered 201 with the case's id and each step's state.
- ``POST /cases/steps/{step_id}/decision`` — the department providing a step's service
  sends its decision when it is made, a ``case.step-decision@1.0`` document
  (``acknowledged``, ``approved``, ``refused`` with a reason, ``more-information-needed``);
  the step id is ``<case id>.<step name>``.
- ``POST /cases/{case_id}/information`` — the portal that filed a case sends what a step
  asked of the applicant (``more-information-needed``): ``{"documents": {"name": "id"}}``,
  the documents supplied anew; the steps that asked run again (409 ``case-state`` when no
  step is waiting for the applicant).
- ``GET /cases`` and ``GET /cases/{case_id}`` — the portal that filed a case reads its
  progress: each step's state, holder, since, due by, and what is awaited from the
  applicant. Another department's case is answered 404 like a case that does not exist.

Every caller proves its department with its bearer token. A refusal is answered as problem
details naming the code, the reason and each field, and recorded as a rejected exchange
like any refused request.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse, Response

from contracts.errors import FieldIssue, HubError
from hub.domain.case import Case
from hub.entrypoints.http.auth import correlation_of, gateway_of, require_department
from hub.entrypoints.http.body import read_capped
from hub.entrypoints.http.problems import problem_response
from hub.service_layer.cases.engine import CaseEngine
from hub.service_layer.cases.progress import progress
from hub.service_layer.exchanges.gateway import Envelope
from hub.service_layer.exchanges.messages import ReplyError

INGRESS = "cases"
NO_STORE = {"Cache-Control": "no-store"}
_MAX_JSON = 256 * 1024


class CaseNotFoundError(HubError):
    """Raised when the caller filed no case with this id (another's case is not found either)."""

    code = "case-not-found"
    status = 404


class CaseRequestError(HubError):
    """Raised when a cases request is not a JSON object with the fields it needs."""

    code = "case-request"
    status = 400


def cases_router(engine: CaseEngine) -> APIRouter:
    """The cases routes over ``engine``."""
    router = APIRouter(tags=["cases"])

    @router.post("/cases", status_code=201, summary="File a case for an applicant")
    async def submit(request: Request,
                     department: str = Depends(require_department)) -> Response:
        try:
            body = await _json(request)
            case_id = await engine.submit(_text(body, "case_type"), department,
                                          _object(body, "application"),
                                          _object(body, "documents", required=False))
            case = await engine.advance(case_id)
        except HubError as exc:
            return await _refused(request, department, exc)
        return JSONResponse(_summary(case), status_code=201)

    @router.post("/cases/steps/{step_id}/decision",
                 summary="A department's decision on a case step")
    async def decide(step_id: str, request: Request,
                     department: str = Depends(require_department)) -> Response:
        try:
            case = await engine.decide(step_id, department, await _json(request))
        except HubError as exc:
            return await _refused(request, department, exc)
        return JSONResponse(_summary(case))

    @router.post("/cases/{case_id}/information",
                 summary="What a step asked of the applicant, supplied by the filing portal")
    async def supply(case_id: str, request: Request,
                     department: str = Depends(require_department)) -> Response:
        try:
            row = await asyncio.to_thread(engine.board.get, _case_id(case_id))
            if row is None or row.applicant != department:
                raise CaseNotFoundError(f"no case {case_id} filed by {department}")
            documents = _object(await _json(request), "documents")
            bad = sorted(n for n, v in documents.items() if not isinstance(v, str) or not v)
            if bad:
                raise _field(f"documents.{bad[0]}", "required: a document id (a string)")
            case = await engine.supply_information(row.id, documents)
        except HubError as exc:
            return await _refused(request, department, exc)
        return JSONResponse(_summary(case))

    @router.get("/cases", summary="The cases this portal filed, with each step's progress")
    async def mine(department: str = Depends(require_department)) -> Response:
        rows = await asyncio.to_thread(engine.board.cases)
        return JSONResponse({"cases": [progress(r) for r in rows if r.applicant == department]},
                            headers=NO_STORE)

    @router.get("/cases/{case_id}", summary="A case's progress, for the portal that filed it")
    async def show(case_id: str, request: Request,
                   department: str = Depends(require_department)) -> Response:
        try:
            row = await asyncio.to_thread(engine.board.get, _case_id(case_id))
            if row is None or row.applicant != department:
                raise CaseNotFoundError(f"no case {case_id} filed by {department}")
        except HubError as exc:
            return await _refused(request, department, exc)
        return JSONResponse(progress(row), headers=NO_STORE)

    return router


def _case_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise CaseNotFoundError(f"{text!r} is not a case id (a UUID)") from None


def _summary(case: Case) -> dict[str, Any]:
    """The case's id, status and each step's state (nothing personal)."""
    return {"case_id": str(case.id), "case_type": case.case_type, "status": case.status,
            "steps": {name: {"state": s["state"], "reference": s["reference"],
                             "reason": s["reason"]} for name, s in case.steps.items()}}


async def _json(request: Request) -> dict[str, Any]:
    raw = await read_capped(request, _MAX_JSON)
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise CaseRequestError(f"the body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise CaseRequestError("the body is not a JSON object")
    return body


def _text(body: dict[str, Any], field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value:
        raise _field(field, "required: a non-empty string")
    return value


def _object(body: dict[str, Any], field: str, *, required: bool = True) -> dict[str, Any]:
    value = body.get(field, None if required else {})
    if not isinstance(value, dict):
        raise _field(field, "required: a JSON object")
    return value


def _field(field: str, reason: str) -> CaseRequestError:
    return CaseRequestError(f"{field}: {reason}",
                            issues=(FieldIssue(path=f"/{field}", reason=reason,
                                               code="invalid", field=field),))


async def _refused(request: Request, client: str, exc: HubError) -> Response:
    """Problem details for ``exc``, recorded as a rejected exchange."""
    correlation_id = correlation_of(request)
    envelope = Envelope(client, request.url.path, correlation_id, INGRESS, b"")
    exchange_id = str((await gateway_of(request).reject(envelope, exc)).exchange_id)
    error = ReplyError(code=exc.code, message=exc.message,
                       issues=[issue.as_dict() for issue in exc.issues])
    return problem_response(error, exchange_id=exchange_id, correlation_id=correlation_id,
                            outcome="rejected")
