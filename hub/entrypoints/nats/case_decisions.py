"""A department's decision on a case step over NATS, as over ``POST /cases/steps/{id}/decision``.

The department connects as its own NATS user (as for :mod:`hub.entrypoints.nats.ingress`)
and sends a request to ``hub.<region>.ingress.<department>.decision`` with the header
``Hub-Step: <case id>.<step name>`` and a ``case.step-decision@1.0`` document as JSON. The
department is the one in the subject (the server lets a user publish only under its own),
so the subject is proof, as a bearer token is over HTTP. The engine's
:meth:`~hub.service_layer.cases.engine.CaseEngine.decide` validates and records it exactly
as for HTTP. The reply is one JSON object::

    {"outcome": "recorded", "case_id": "…", "status": "open", "steps": {name: {state, …}}}
    {"outcome": "rejected", "exchange_id": "…", "error": {"code": "…", "message": "…",
     "issues": [...]}}

A refusal (not the step's department, a bad field, no such step, a body that is not a
JSON object) is recorded as a rejected exchange, as over HTTP.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import structlog

from contracts.errors import FieldIssue, HubError
from hub.adapters.peers.connection import LinkConnection, Request
from hub.service_layer.cases.engine import CaseEngine
from hub.service_layer.exchanges.correlation import correlation_or_new
from hub.service_layer.exchanges.gateway import Envelope, Gateway
from translation.errors import PayloadTooLarge

log = structlog.get_logger("hub.entrypoints.nats.case_decisions")

INGRESS = "nats-cases"
STEP_HEADER = "Hub-Step"
CORRELATION_HEADER = "Hub-Correlation-Id"


class DecisionRequestError(HubError):
    """Raised when a NATS decision does not name its step or is not a JSON object."""

    code = "case-request"
    status = 400

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}",
                         issues=(FieldIssue(path=path, reason=reason, code="invalid"),))


def decision_filter(region: str) -> str:
    """The subjects the hub takes decisions on: every department's decision subject."""
    return f"hub.{region}.ingress.*.decision"


def decision_subject(region: str, department: str) -> str:
    """Where department ``department`` (its name in the region) sends its decisions."""
    return f"hub.{region}.ingress.{department}.decision"


class CaseDecisions:
    """Takes departments' decisions on case steps over NATS."""

    def __init__(self, connection: LinkConnection, gateway: Gateway, engine: CaseEngine, *,
                 max_payload_bytes: int) -> None:
        self._connection = connection
        self._gateway = gateway
        self._engine = engine
        self._region = gateway.directory.region
        self._max_payload_bytes = max_payload_bytes

    async def start(self) -> None:
        await self._connection.serve(decision_filter(self._region), self.answer,
                                     queue=f"interop-hub-{self._region}-case-decisions")

    async def answer(self, request: Request) -> bytes:
        """Record one decision; the reply bytes."""
        department = f"{self._region}/{request.subject.split('.')[3]}"
        step = request.headers.get(STEP_HEADER, "")
        correlation_id = correlation_or_new(request.headers.get(CORRELATION_HEADER))
        try:
            decision = self._decision(request, step)
            case = await self._engine.decide(step, department, decision)
        except HubError as exc:
            envelope = Envelope(department, f"case-step:{step}", correlation_id, INGRESS, b"")
            rejected = await self._gateway.reject(envelope, exc)
            return json.dumps({
                "outcome": "rejected", "exchange_id": str(rejected.exchange_id),
                "correlation_id": correlation_id,
                "error": {"code": exc.code, "message": exc.message,
                          "issues": [i.as_dict() for i in exc.issues]}}).encode()
        log.info("case decision over nats", case_id=str(case.id), step=step,
                 department=department)
        return json.dumps({
            "outcome": "recorded", "case_id": str(case.id), "status": case.status,
            "correlation_id": correlation_id,
            "steps": {name: {"state": s["state"], "reference": s["reference"],
                             "reason": s["reason"]} for name, s in case.steps.items()},
        }).encode()

    def _decision(self, request: Request, step: str) -> dict[str, Any]:
        if not step:
            raise DecisionRequestError(f"header:{STEP_HEADER}",
                                       "required: the step id, <case id>.<step name>")
        if len(request.data) > self._max_payload_bytes:
            raise PayloadTooLarge(len(request.data), self._max_payload_bytes)
        try:
            body = json.loads(request.data)
        except ValueError as exc:
            raise DecisionRequestError("$", f"not JSON: {exc}") from None
        if not isinstance(body, dict):
            raise DecisionRequestError("$", "a case.step-decision@1.0 JSON object is required")
        return body


@contextlib.asynccontextmanager
async def running_case_decisions(
    nats_url: str, gateway: Gateway, engine: CaseEngine, *, max_payload_bytes: int,
    auth: dict[str, Any],
) -> AsyncIterator[CaseDecisions]:
    """Take departments' decisions over NATS for the duration of the block."""
    region = gateway.directory.region
    connection = await LinkConnection.connect(nats_url, f"{region}-case-decisions", auth=auth)
    try:
        decisions = CaseDecisions(connection, gateway, engine,
                                  max_payload_bytes=max_payload_bytes)
        await decisions.start()
        log.info("case decisions over nats", region=region, subjects=decision_filter(region))
        yield decisions
    finally:
        await connection.close()
