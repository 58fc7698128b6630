"""RFC 9457 problem details for the JSON ingress."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from hub.messages import ReplyError

# Which HTTP status a stable error code maps to; anything else from a provider is 502.
_STATUS = {
    "payload-too-large": 413,
    "unknown-service": 404,
    "malformed-input": 400,
    "schema-violation": 400,
    "contract-violation": 422,
    "mapping-error": 422,
    "bad-identifier": 400,
    "missing-client": 400,
    "bad-contract-id": 400,  # e.g. POST /records/<not name@M.m> (found by schemathesis)
    "timeout": 504,
    # hub.security.credential_errors: 401 asks for (other) credentials, 403 refuses these
    "authentication-failed": 401,
    "missing-credentials": 401,
    "malformed-credentials": 401,
    "unknown-credential": 401,
    "wrong-credential": 401,
    "expired-credential": 401,
    "revoked-credential": 401,
    "client-mismatch": 403,
    "operator-required": 403,
    "department-required": 403,
    # access rights, purposes and consent (hub.security.refusals)
    "access-denied": 403,
    "purpose-required": 403,
    "unknown-purpose": 403,
    "purpose-not-granted": 403,
    "consent-required": 403,
    "access-revoked": 403,
    "consent-revoked": 403,
}


WWW_AUTHENTICATE = 'Bearer realm="interop-hub"'


def status_for(code: str) -> int:
    return _STATUS.get(code, 502)


def problem_response(
    error: ReplyError, *, exchange_id: str | None, correlation_id: str, outcome: str
) -> JSONResponse:
    """A ``application/problem+json`` response naming the code, the reason and each issue."""
    status = status_for(error.code)
    body: dict[str, Any] = {
        "type": f"urn:interop-hub:problem:{error.code}",
        "title": error.code.replace("-", " "),
        "status": status,
        "detail": error.message,
        "code": error.code,
        "outcome": outcome,
        "issues": error.issues,
        "exchange_id": exchange_id,
        "correlation_id": correlation_id,
    }
    headers = {"X-Correlation-Id": correlation_id}
    if exchange_id:
        headers["X-Exchange-Id"] = exchange_id
    if status == 401:  # RFC 9110 §11.6.1: a 401 names the scheme to authenticate with
        headers["WWW-Authenticate"] = WWW_AUTHENTICATE
    return JSONResponse(
        body, status_code=status, headers=headers, media_type="application/problem+json"
    )
