"""``/citizen/api/...``: the citizen API a portal calls with the person's ID token.

Each request carries ``Authorization: Bearer <ID token>``, a fresh token per request
(each is accepted once). A portal that put a ``nonce`` in its authentication request
sends it as ``Citizen-Nonce: <nonce>``; the token's ``nonce`` must then equal it.

Answers are JSON about the token's person only; refusals are RFC 9457 problem details
naming the reason (``code``) and the claim at fault (``issues``), each recorded as
``CitizenRequestRefused`` within the refusal budget; beyond it, 429 with ``Retry-After``,
counted into one ``CitizenRefusalsSuppressed`` per address and window. Nothing here is
cached by a browser or proxy (``Cache-Control: no-store``).
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
TOO_MANY = "citizen-too-many-refusals"
NONCE_HEADER = "Citizen-Nonce"
"""The nonce the portal sent in its authentication request; optional, checked when sent."""
REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "the ID token is missing, malformed, untrusted, for another "
                         "audience, expired, replayed, badly signed or for another login "
                         "(its nonce is not Citizen-Nonce) (``code`` says which)",
          "content": PROBLEM},
    429: {"description": "too many refused requests from this address in this window "
                         "(``citizen-too-many-refusals``, ``Retry-After``)", "content": PROBLEM},
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


def expected_nonce(request: Request) -> str | None:
    """The ``Citizen-Nonce`` header's value, or None when the portal sends none."""
    return request.headers.get(NONCE_HEADER)


def client_address(request: Request) -> str:
    """The address the request came from (the TCP peer), for the refusal budget."""
    return request.client.host if request.client else "unknown"


async def refused(desk: CitizenDesk, request: Request, exc: HubError, token: str) -> JSONResponse:
    """Record the refusal, then answer it as problem details (429 beyond the budget)."""
    claimed = await asyncio.to_thread(desk.claimed, token)
    record = await asyncio.to_thread(desk.refuse, exc.code, exc.message, request.url.path,
                                     claimed, getattr(exc, "subject_ref", ""),
                                     client=client_address(request))
    if record.refusal_id is None:
        return too_many(exc, record.retry_after_s)
    body = {"type": f"urn:interop-hub:problem:{exc.code}", "title": exc.code.replace("-", " "),
            "status": exc.status, "detail": exc.message, "code": exc.code,
            "issues": [i.as_dict() for i in exc.issues], "refusal_id": str(record.refusal_id)}
    headers = dict(NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = CHALLENGE
    if exc.retryable:
        headers["Retry-After"] = "1"
    return JSONResponse(body, status_code=exc.status, headers=headers, media_type=PROBLEM_MEDIA)


def too_many(exc: HubError, retry_after_s: int) -> JSONResponse:
    """429: this address (or every address) has used its refusal budget for the window; the
    refusal is counted into the window's summary, and names its own code still."""
    detail = (f"too many refused requests from this address: try again in {retry_after_s} s "
              f"(this one: {exc.code})")
    body = {"type": f"urn:interop-hub:problem:{TOO_MANY}", "title": TOO_MANY.replace("-", " "),
            "status": 429, "detail": detail, "code": TOO_MANY,
            "issues": [i.as_dict() for i in exc.issues]}
    return JSONResponse(body, status_code=429, media_type=PROBLEM_MEDIA,
                        headers={**NO_STORE, "Retry-After": str(retry_after_s)})


def citizen_api_router(desk: CitizenDesk) -> APIRouter:
    """The citizen API's routes over ``desk``."""
    router = APIRouter(prefix="/citizen/api", tags=["citizen"])

    async def reading(request: Request, what: str, key: str, **extra: str) -> JSONResponse:
        token = ""
        try:
            token = bearer_token(request)
            found: Reading = await asyncio.to_thread(desk.read, token, what,
                                                     expected_nonce(request))
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
            consent = await asyncio.to_thread(desk.revoke, token, consent_id,
                                              expected_nonce(request))
        except HubError as exc:
            return await refused(desk, request, exc, token)
        return JSONResponse({"consent": consent}, headers=NO_STORE)

    return router
