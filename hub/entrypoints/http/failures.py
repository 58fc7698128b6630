"""The one handler for what no route caught: never a bare 500.

:class:`FailureMiddleware` wraps the whole HTTP app. An exception that escapes
a route is translated once (:func:`as_hub_error`): a HubError keeps its code
and status; a locked, unreachable or exhausted event store becomes
:class:`hub.errors.StoreUnavailable` (503 with ``Retry-After``); anything else
becomes :class:`hub.errors.InternalError` (500) and its traceback is logged
here, once. The request is then recorded as Received + Rejected like any
refusal (when the store can take it) and answered as problem details, or as a
SOAP Fault on a SOAP endpoint, carrying the exchange id.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
import structlog
from eventsourcing.persistence import (
    DataError,
    NotSupportedError,
    PersistenceError,
    ProgrammingError,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts.errors import HubError
from hub.entrypoints.http.auth import CORRELATION_HEADER, UNAUTHENTICATED
from hub.entrypoints.http.problems import problem_response
from hub.entrypoints.http.soap_faults import error_fault
from hub.entrypoints.http.soap_versions import declared_version
from hub.errors import InternalError, StoreUnavailable
from hub.service_layer.exchanges.correlation import correlation_or_new
from hub.service_layer.exchanges.gateway import Envelope, Gateway
from hub.service_layer.exchanges.messages import ReplyError

log = structlog.get_logger("hub.entrypoints.http.failures")

# Store failures that another attempt may get past; a programming or data error will not.
_NOT_TRANSIENT = (ProgrammingError, NotSupportedError, DataError)
_TRANSIENT = (PersistenceError, sqlite3.OperationalError, psycopg.OperationalError)


def as_hub_error(exc: BaseException) -> HubError:
    """Our error for any exception: itself, StoreUnavailable, or InternalError."""
    if isinstance(exc, HubError):
        return exc
    if isinstance(exc, _TRANSIENT) and not isinstance(exc, _NOT_TRANSIENT):
        return StoreUnavailable(exc)
    return InternalError(exc)


def ingress_of(path: str) -> str:
    """The ingress a request path belongs to, as recorded on the exchange."""
    if path.startswith("/services/"):
        return "json"
    if path == "/soap" or path.endswith("/soap"):
        return "soap"
    if path.startswith("/records/"):
        # as hub.service_layer.notifications.issuer records its issuing requests
        return "notification"
    return "http"


class FailureMiddleware:
    """ASGI middleware: answer and record any exception a route let escape."""

    def __init__(self, app: ASGIApp, *, gateway: Gateway) -> None:
        self._app = app
        self._gateway = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self._app(scope, receive, tracking_send)
        except Exception as exc:  # the one place that answers them all
            if started:  # half an answer is out: nothing better than closing the connection
                log.error("failure after the answer started", exc_info=exc)
                raise
            response = await self._answer(Request(scope), exc)
            await response(scope, receive, send)

    async def _answer(self, request: Request, exc: Exception) -> Response:
        error = as_hub_error(exc)
        path = request.url.path
        ingress = ingress_of(path)
        correlation_id = correlation_or_new(request.headers.get(CORRELATION_HEADER))
        _log(error, exc, path)
        exchange_id = await self._record(
            Envelope(UNAUTHENTICATED, path, correlation_id, ingress, b""), error)
        reply = ReplyError(code=error.code, message=error.message,
                           issues=[i.as_dict() for i in error.issues])
        if ingress == "soap":  # in the SOAP version the request declared
            return error_fault(reply, exchange_id, None, declared_version(request))
        return problem_response(reply, exchange_id=exchange_id, correlation_id=correlation_id,
                                outcome="rejected" if error.status < 500 else "failed")

    async def _record(self, envelope: Envelope, error: HubError) -> str | None:
        """Received + Rejected, as for any refusal; None when the store cannot take it either."""
        try:
            answer = await self._gateway.reject(envelope, error)
        except Exception as exc:  # the answer must still go out
            log.warning("failure not recorded", code=error.code, cause=type(exc).__name__)
            return None
        return str(answer.exchange_id)


def _log(error: HubError, exc: BaseException, path: str) -> None:
    fields: dict[str, Any] = {"code": error.code, "status": error.status, "path": path}
    if isinstance(error, InternalError):
        log.error("unexpected failure", exc_info=exc, **fields)
    elif isinstance(error, StoreUnavailable):
        log.warning("event store unavailable", cause=type(exc).__name__, reason=str(exc), **fields)
    else:
        log.info("refusal escaped its route", reason=error.message, **fields)
