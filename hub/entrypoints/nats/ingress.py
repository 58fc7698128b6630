"""The NATS ingress: a department asks a service over NATS, as it would over the JSON ingress.

A department connects to the region's server as its own NATS user (its nkey
seed from ``interop-hub credentials issue``) and sends a request to
``hub.<region>.ingress.<department>.query`` with the request contract as JSON
and the headers ``Hub-Service: region/department/service`` and optionally
``Hub-Correlation-Id`` and ``Content-Type`` (JSON in UTF-8 when sent); the body
is read by the bounded, strict JSON reader (:mod:`translation.json_reader`); its
client must use ``inbox_prefix="_INBOX_<department>"``
(the only subjects its user may subscribe to). The client of the exchange is
the department in the subject: the server's permissions (:mod:`hub.adapters.nats.accounts`)
let a user publish only under its own department, so the subject is proof.

The reply is one JSON object::

    {"outcome": "responded", "exchange_id": "…", "correlation_id": "…",
     "contract": "name@M.m", "response": {…}}
    {"outcome": "rejected" | "failed" | …, "exchange_id": "…", "correlation_id": "…",
     "error": {"code": "…", "message": "…", "issues": [...]}}

Every request is recorded through the :class:`hub.service_layer.exchanges.gateway.Gateway` (ingress
``nats``), refusals as Received + Rejected with the header or field named.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import AsyncIterator
from typing import Any

import structlog

from contracts import Contract
from contracts.errors import FieldIssue, HubError
from hub.adapters.peers.connection import LinkConnection, Reply, Request
from hub.adapters.peers.subjects import PURPOSE_HEADER
from hub.entrypoints.http.media_types import UnsupportedMediaType, require_json
from hub.service_layer.exchanges.correlation import (
    BadCorrelationId,
    checked_correlation,
    correlation_or_new,
)
from hub.service_layer.exchanges.gateway import Answer, Envelope, Gateway
from hub.service_layer.exchanges.messages import ReplyError
from hub.service_layer.exchanges.routing import ServiceDefinition
from translation.errors import PayloadTooLarge
from translation.json_codec import decode_json, encode_json

log = structlog.get_logger("hub.entrypoints.nats.ingress")

INGRESS = "nats"
SERVICE_HEADER = "Hub-Service"
CORRELATION_HEADER = "Hub-Correlation-Id"
CONTENT_TYPE_HEADER = "Content-Type"  # optional; when sent, JSON in UTF-8


class MissingServiceHeaderError(HubError):
    """Raised when a NATS query does not name the service it asks."""

    code = "missing-service"
    status = 400

    def __init__(self) -> None:
        reason = f"missing: name the service (region/department/service) in {SERVICE_HEADER}"
        super().__init__(
            f"the {SERVICE_HEADER} header is required",
            issues=(FieldIssue(path=f"header:{SERVICE_HEADER}", reason=reason, code=self.code,
                               field="service"),),
        )


def query_filter(region: str) -> str:
    """The subjects the hub answers: every department's query subject."""
    return f"hub.{region}.ingress.*.query"


class NatsIngress:
    """Answers departments' NATS queries through the gateway."""

    def __init__(self, connection: LinkConnection, gateway: Gateway, *,
                 max_payload_bytes: int) -> None:
        self._connection = connection
        self._gateway = gateway
        self._region = gateway.directory.region
        self._max_payload_bytes = max_payload_bytes

    async def start(self) -> None:
        """Listen (queue group: several hub workers share the queries)."""
        await self._connection.serve(query_filter(self._region), self.answer,
                                     queue=f"interop-hub-{self._region}-ingress")

    async def answer(self, request: Request) -> bytes | Reply:
        """Record and run one query; the reply bytes."""
        department = request.subject.split(".")[3]
        client = f"{self._region}/{department}"
        headers = request.headers
        service = headers.get(SERVICE_HEADER, "")
        named = headers.get(CORRELATION_HEADER)
        correlation_id = correlation_or_new(named)
        envelope = Envelope(client, service, correlation_id, INGRESS, request.data,
                            purpose=headers.get(PURPOSE_HEADER, ""))
        try:
            checked_correlation(named, path=f"header:{CORRELATION_HEADER}")
        except BadCorrelationId as exc:
            return _reply(await self._gateway.reject(envelope, exc), correlation_id)
        if len(request.data) > self._max_payload_bytes:
            error = PayloadTooLarge(len(request.data), self._max_payload_bytes)
            return _reply(await self._gateway.reject(envelope, error), correlation_id)
        if not service:
            answer = await self._gateway.reject(envelope, MissingServiceHeaderError())
            return _reply(answer, correlation_id)
        try:
            require_json(headers.get(CONTENT_TYPE_HEADER))
        except UnsupportedMediaType as exc:
            return _reply(await self._gateway.reject(envelope, exc), correlation_id)

        def decode(definition: ServiceDefinition) -> Contract:
            return decode_json(definition.request, request.data)

        answer = await self._gateway.query(envelope, decode)
        reply = _reply(answer, correlation_id)
        if answer.response is None:
            return reply
        # Completed ("the client has its answer") once the reply is sent, off its latency.
        return Reply(reply, then=functools.partial(self._gateway.complete, answer, reply))


def _reply(answer: Answer, correlation_id: str) -> bytes:
    body: dict[str, Any] = {"outcome": answer.outcome, "exchange_id": str(answer.exchange_id),
                            "correlation_id": correlation_id}
    if answer.response is not None:
        body["contract"] = str(answer.response.contract_id())
        body["response"] = json.loads(encode_json(answer.response))
    else:
        error = answer.error or ReplyError(code="hub-error", message="no answer")
        body["error"] = {"code": error.code, "message": error.message, "issues": error.issues}
    return json.dumps(body).encode()


@contextlib.asynccontextmanager
async def running_nats_ingress(
    nats_url: str, gateway: Gateway, *, max_payload_bytes: int, auth: dict[str, Any]
) -> AsyncIterator[NatsIngress]:
    """Answer departments' NATS queries for the duration of the block (own connection)."""
    region = gateway.directory.region
    connection = await LinkConnection.connect(nats_url, f"{region}-ingress", auth=auth)
    try:
        ingress = NatsIngress(connection, gateway, max_payload_bytes=max_payload_bytes)
        await ingress.start()
        log.info("nats ingress running", region=region, subjects=query_filter(region))
        yield ingress
    finally:
        await connection.close()
