"""``/citizen/api/...``: the citizen API a portal calls with the person's ID token.

Each request carries ``Authorization: Bearer <ID token>``, a fresh token per request
(each is accepted once). Answers are JSON about the token's person only; refusals are
RFC 9457 problem details naming the reason (``code``) and the claim at fault
(``issues``), each recorded as ``CitizenRequestRefused``. Nothing here is cached by a
browser or proxy (``Cache-Control: no-store``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from contracts.errors import HubError
from hub.adapters.id_tokens.errors import IdTokenMissingError
from hub.entrypoints.http.citizen.schemas import (
    CasesOut,
    ConsentsOut,
    ReportOut,
    RetentionOut,
    RevokedOut,
)
from hub.entrypoints.http.openapi_refusals import PROBLEM
from hub.entrypoints.http.problems import PROBLEM_MEDIA
from hub.service_layer.citizen.desk import CASES, CONSENTS, KEPT, REPORT, CitizenDesk, Reading
from hub.service_layer.citizen.views import CASES_NOTE, KEPT_NOTE

NO_STORE = {"Cache-Control": "no-store"}
CHALLENGE = 'Bearer realm="interop-hub citizen", error="invalid_token"'
REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "the ID token is missing, malformed, untrusted, for another "
                         "audience, expired, replayed or badly signed (``code`` says which)",
          "content": PROBLEM},
    503: {"description": "the replay cache is full: try again shortly", "content": PROBLEM},
}


def _answers(model: type[Any], **more: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {200: {"model": model}, **REFUSALS, **{int(k[1:]): v for k, v in more.items()}}


def bearer_token(request: Request) -> str:
    """The ID token of ``Authorization: Bearer …``; raises when there is none."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise IdTokenMissingError(
            "send the person's ID token as 'Authorization: Bearer <token>'",
            claim="")
    return token.strip()


async def refused(desk: CitizenDesk, request: Request, exc: HubError, token: str) -> JSONResponse:
    """Record the refusal, then answer it as problem details."""
    claimed = await asyncio.to_thread(desk.claimed, token)
    refusal_id = await asyncio.to_thread(desk.refuse, exc.code, exc.message, request.url.path,
                                         claimed, getattr(exc, "subject_ref", ""))
    body = {"type": f"urn:interop-hub:problem:{exc.code}", "title": exc.code.replace("-", " "),
            "status": exc.status, "detail": exc.message, "code": exc.code,
            "issues": [i.as_dict() for i in exc.issues], "refusal_id": str(refusal_id)}
    headers = dict(NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = CHALLENGE
    if exc.retryable:
        headers["Retry-After"] = "1"
    return JSONResponse(body, status_code=exc.status, headers=headers, media_type=PROBLEM_MEDIA)


def citizen_api_router(desk: CitizenDesk) -> APIRouter:
    """The citizen API's routes over ``desk``."""
    router = APIRouter(prefix="/citizen/api", tags=["citizen"])

    async def reading(request: Request, what: str, key: str, **extra: str) -> JSONResponse:
        token = ""
        try:
            token = bearer_token(request)
            found: Reading = await asyncio.to_thread(desk.read, token, what)
        except HubError as exc:
            return await refused(desk, request, exc, token)
        return JSONResponse({"subject": found.subject_ref, key: found.items, **extra},
                            headers=NO_STORE)

    @router.get("/report", responses=_answers(ReportOut),
                summary="The person's data-use report: who used which fields, for what")
    async def report(request: Request) -> JSONResponse:
        return await reading(request, REPORT, "uses")

    @router.get("/consents", responses=_answers(ConsentsOut), summary="The person's consents")
    async def consents(request: Request) -> JSONResponse:
        return await reading(request, CONSENTS, "consents")

    @router.get("/cases", responses=_answers(CasesOut),
                summary="The person's cases and each step's progress")
    async def cases(request: Request) -> JSONResponse:
        return await reading(request, CASES, "cases", note=CASES_NOTE)

    @router.get("/retention", responses=_answers(RetentionOut),
                summary="What the hub keeps about the person, and until when")
    async def retention(request: Request) -> JSONResponse:
        return await reading(request, KEPT, "kept", note=KEPT_NOTE)

    @router.post("/consents/{consent_id}/revoke", responses=_answers(
        RevokedOut,
        s404={"description": "the person has no consent with this id", "content": PROBLEM},
        s409={"description": "the consent is already revoked or expired", "content": PROBLEM}),
        summary="Withdraw one of the person's consents")
    async def revoke(request: Request, consent_id: str) -> JSONResponse:
        token = ""
        try:
            token = bearer_token(request)
            consent = await asyncio.to_thread(desk.revoke, token, consent_id)
        except HubError as exc:
            return await refused(desk, request, exc, token)
        return JSONResponse({"consent": consent}, headers=NO_STORE)

    return router
