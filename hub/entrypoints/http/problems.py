"""RFC 9457 problem details: how every HTTP ingress answers a refusal or a failure.

The HTTP status comes from the error class that owns the code
(:func:`hub.errors.status_of`): the status lives on the class, so a new error
cannot fall into a default by being forgotten in a table.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from hub.errors import StoreUnavailable, retryable_of, status_of
from hub.service_layer.exchanges.messages import ReplyError

WWW_AUTHENTICATE = 'Bearer realm="interop-hub"'
PROBLEM_MEDIA = "application/problem+json"


def status_for(code: str) -> int:
    """The HTTP status answering ``code`` (the status of the error class owning it)."""
    return status_of(code)


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
    return JSONResponse(body, status_code=status, headers=problem_headers(
        error.code, exchange_id=exchange_id, correlation_id=correlation_id),
        media_type=PROBLEM_MEDIA)


def problem_headers(
    code: str, *, exchange_id: str | None, correlation_id: str | None
) -> dict[str, str]:
    """Correlation and exchange ids; ``WWW-Authenticate`` on 401; ``Retry-After`` when the
    error's class says the same request may succeed later (a busy store, a silent provider)."""
    headers = {"X-Correlation-Id": correlation_id} if correlation_id else {}
    if exchange_id:
        headers["X-Exchange-Id"] = exchange_id
    if status_for(code) == 401:  # RFC 9110 §11.6.1: a 401 names the scheme to authenticate with
        headers["WWW-Authenticate"] = WWW_AUTHENTICATE
    if retryable_of(code):  # RFC 9110 §10.2.3: when to try again
        headers["Retry-After"] = str(StoreUnavailable.retry_after_s)
    return headers
