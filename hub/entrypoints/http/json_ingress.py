"""The JSON ingress: one POST route per service, documented in the OpenAPI document.

Clients send the request contract as JSON and authenticate with
``Authorization: Bearer <token>`` (a token the hub issued, :mod:`hub.entrypoints.http.auth`):
the token's department is the exchange's client. ``X-Hub-Client`` is optional
and, when sent, must name that same department. ``X-Correlation-Id`` is carried
end to end (generated when absent). The body is read by the bounded, strict
JSON reader (:mod:`translation.json_reader`) after a Content-Type check
(:mod:`hub.entrypoints.http.media_types`). Errors are RFC 9457 problem details.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.background import BackgroundTask
from starlette.responses import Response

from contracts.errors import FieldIssue, HubError
from hub.entrypoints.http.auth import (
    AUTHORIZATION_HEADER,
    CLIENT_HEADER,
    CORRELATION_HEADER,
    CORRELATION_PATH,
    RequestRefused,
    authenticator_of,
    proof_of,
    refusal_response,
)
from hub.entrypoints.http.body import read_capped
from hub.entrypoints.http.media_types import CONTENT_TYPE_HEADER, UnsupportedMediaType, require_json
from hub.entrypoints.http.problems import problem_response
from hub.service_layer.exchanges.correlation import MAX_LENGTH, checked_correlation
from hub.service_layer.exchanges.gateway import Answer, Envelope, Gateway
from hub.service_layer.exchanges.messages import ReplyError
from hub.service_layer.exchanges.routing import ServiceDefinition
from hub.service_layer.security.decision import PURPOSE_HEADER
from hub.service_layer.security.minimise import disclosed_json
from translation.errors import PayloadTooLarge
from translation.json_codec import decode_json

__all__ = [
    "CLIENT_HEADER", "CORRELATION_HEADER", "SERVICES_PREFIX", "JsonIngress", "MissingClientError",
    "json_ingress_router",
]


class MissingClientError(HubError):
    """Raised when a request does not say which department is asking."""

    code = "missing-client"
    status = 400

    def __init__(self) -> None:
        super().__init__(
            f"the {CLIENT_HEADER} header (region/department of the caller) is required",
            issues=(
                FieldIssue(
                    path=f"header:{CLIENT_HEADER}", reason="missing", code=self.code, field="client"
                ),
            ),
        )


SERVICES_PREFIX = "/services/"


class JsonIngress:
    """``POST /services/{service}``: one service's request contract as JSON, through the gateway."""

    def __init__(self, gateway: Gateway, *, max_payload_bytes: int) -> None:
        self._gateway = gateway
        self._max_payload_bytes = max_payload_bytes

    @property
    def gateway(self) -> Gateway:
        return self._gateway

    async def handle(self, request: Request, service: str) -> Response:
        """Authenticate, decode and query ``service``; the answer as JSON or problem details."""
        correlation_id = checked_correlation(request.headers.get(CORRELATION_HEADER),
                                             path=CORRELATION_PATH)
        try:
            principal = await authenticator_of(request).department_principal(
                request.headers.get(AUTHORIZATION_HEADER),
                claimed=request.headers.get(CLIENT_HEADER, ""),
                claim_path=f"header:{CLIENT_HEADER}",
                service=service, correlation_id=correlation_id, ingress="json",
                proof=proof_of(request),
            )
        except RequestRefused as refused:
            return refusal_response(refused, correlation_id)
        client, credential = principal.name, principal.credential_id.hex
        try:
            require_json(request.headers.get(CONTENT_TYPE_HEADER))
            raw = await read_capped(request, self._max_payload_bytes)
        except (UnsupportedMediaType, PayloadTooLarge) as exc:
            answer = await self._gateway.reject(
                Envelope(client, service, correlation_id, "json", b"", credential=credential), exc
            )
            return _error(answer, correlation_id)
        envelope = Envelope(
            client, service, correlation_id, "json", raw,
            purpose=request.headers.get(PURPOSE_HEADER, ""), credential=credential,
        )

        def decode(definition: ServiceDefinition) -> Any:
            return decode_json(definition.request, raw)

        answer = await self._gateway.query(envelope, decode)
        if answer.response is None:
            return _error(answer, correlation_id)
        # only the purpose's fields (hub.service_layer.security)
        body = disclosed_json(answer.response)
        # Completed is recorded once the reply is written (a background task), off
        # the client's latency.
        return Response(
            body,
            background=BackgroundTask(self._gateway.complete, answer, body),
            media_type="application/json",
            headers={
                "X-Exchange-Id": str(answer.exchange_id),
                CORRELATION_HEADER: correlation_id,
                "X-Contract": str(answer.response.contract_id()),
            },
        )


def json_ingress_router(ingress: JsonIngress) -> APIRouter:
    """Routes for every service of the directory, plus a catch-all that records unknown ones."""
    router = APIRouter(prefix=SERVICES_PREFIX.rstrip("/"), tags=["services"])
    handle = ingress.handle
    gateway = ingress.gateway

    for definition in gateway.directory:
        router.add_api_route(
            f"/{definition.id}",
            _endpoint(handle, str(definition.id)),
            methods=["POST"],
            name=definition.operation,
            summary=definition.description or str(definition.id),
            description=(
                f"Request contract `{definition.request.contract_id()}`, "
                f"response contract `{definition.response.contract_id()}`."
            ),
            openapi_extra=_openapi(definition),
        )

    async def unknown(request: Request, path: str) -> Response:
        return await handle(request, path)

    router.add_api_route("/{path:path}", unknown, methods=["POST"], include_in_schema=False)
    return router


def _endpoint(handle: Any, service: str) -> Any:
    async def endpoint(request: Request) -> Response:
        return await handle(request, service)

    return endpoint


def _error(answer: Answer, correlation_id: str) -> Response:
    error = answer.error or ReplyError(code="hub-error", message="no answer")
    return problem_response(
        error,
        exchange_id=str(answer.exchange_id),
        correlation_id=correlation_id,
        outcome=answer.outcome,
    )


def _openapi(definition: ServiceDefinition) -> dict[str, Any]:
    problem = {"application/problem+json": {"schema": {"type": "object"}}}
    return {
        "security": [{"bearer": []}],
        "parameters": [
            {
                "name": CLIENT_HEADER,
                "in": "header",
                "required": False,
                "description": "Optional; when sent, the token's own department",
                "schema": {"type": "string", "example": "north/tax"},
            },
            {
                "name": CORRELATION_HEADER,
                "in": "header",
                "required": False,
                "description": "Optional; recorded on the exchange and echoed in the answer",
                "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]+$",
                           "minLength": 1, "maxLength": MAX_LENGTH},
            },
            {
                "name": PURPOSE_HEADER,
                "in": "header",
                "required": True,
                "description": "One of the service's purposes; the answer holds only its fields",
                "schema": {"type": "string", "enum": [p.name for p in definition.purposes]}
                if definition.purposes else {"type": "string"},
            },
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": definition.request.model_json_schema()}},
        },
        "responses": {
            "200": {
                "description": str(definition.response.contract_id()),
                "content": {
                    "application/json": {"schema": definition.response.model_json_schema()}
                },
            },
            "400": {"description": "malformed input or schema violation", "content": problem},
            "401": {"description": "missing, malformed, unknown, wrong, expired or revoked "
                    "token", "content": problem},
            "403": {"description": "X-Hub-Client names another department, or no right, "
                    "purpose or consent", "content": problem},
            "404": {"description": "unknown service", "content": problem},
            "413": {"description": "payload too large", "content": problem},
            "415": {"description": "Content-Type is not JSON in UTF-8", "content": problem},
            "422": {"description": "contract violation", "content": problem},
            "500": {"description": "the hub failed unexpectedly", "content": problem},
            "502": {"description": "provider failed", "content": problem},
            "503": {"description": "event store busy or unreachable; see Retry-After",
                    "content": problem},
            "504": {"description": "no answer in time", "content": problem},
        },
    }
