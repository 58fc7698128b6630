"""The operator API: what the console shows, as JSON under ``/api/`` (in the OpenAPI document).

Every endpoint needs an operator session (the console's cookie; a POST also the
``X-CSRF-Token`` header) whose role grants the endpoint's permission; 401 without
a session, 403 without the permission. Actions are recorded like the console's.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from contracts.errors import HubError
from hub.adapters.projections import ExchangeQuery
from hub.entrypoints.http.console.auth import ConsoleAuth
from hub.entrypoints.http.console.queries import ConsoleQueries
from hub.service_layer.operators import OperatorDirectory, Permission

OPERATOR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "a query parameter out of range or unknown"},
    401: {"description": "no operator session"},
    403: {"description": "the role lacks the permission, or the CSRF header is wrong"}}
"""The refusals every operator API endpoint may answer (in the OpenAPI document)."""


def operator_api_router(
    queries: ConsoleQueries, directory: OperatorDirectory, auth: ConsoleAuth
) -> APIRouter:
    """The ``/api/...`` routes."""
    router = APIRouter(prefix="/api", tags=["operators"], responses=OPERATOR_RESPONSES)
    _read_api(router, queries, auth)
    _action_api(router, queries, directory, auth)
    return router


def _read_api(router: APIRouter, q: ConsoleQueries, auth: ConsoleAuth) -> None:
    @router.get("/exchanges", summary="Search exchanges (newest first, at most 200)")
    async def exchanges(
        request: Request, service: str | None = None, department: str | None = None,
        outcome: str | None = None, correlation_id: str | None = None,
    ) -> list[dict[str, Any]]:
        await auth.api_session(request, Permission.VIEW)
        try:
            query = ExchangeQuery(service=service, department=department, outcome=outcome,
                                  correlation_id=correlation_id)
        except HubError as exc:
            raise HTTPException(400, exc.message) from None
        rows = await asyncio.to_thread(q.exchanges, query)
        return [{**dataclasses.asdict(r), "id": str(r.id),
                 "received_at": r.received_at.isoformat()} for r in rows]

    @router.get("/exchanges/{exchange}", summary="One exchange's events (an id or unique prefix)",
                responses={404: {"description": "no such exchange"}})
    async def exchange(request: Request, exchange: str) -> dict[str, Any]:
        await auth.api_session(request, Permission.VIEW)
        try:
            uid, entries = await asyncio.to_thread(q.timeline, exchange)
        except HubError as exc:
            raise HTTPException(404, exc.message) from None
        return {"id": str(uid), "events": [
            {"event": e.event, "version": e.version, "at": e.at.isoformat(),
             "details": _jsonable(e.details)} for e in entries]}

    @router.get("/services/series", summary="Per-service figures over time (for charts)")
    async def series(request: Request, service: str | None = None,
                     hours: float = 24.0) -> dict[str, Any]:
        await auth.api_session(request, Permission.VIEW)
        if not 0 < hours <= 24 * 31:
            raise HTTPException(400, "hours must be in (0, 744]")
        found = await asyncio.to_thread(q.series, service, hours)
        return {"since": found.since.isoformat(), "bucket_s": found.width.total_seconds(),
                "buckets": [{**dataclasses.asdict(b), "start": b.start.isoformat(),
                             "success_rate": b.success_rate} for b in found.buckets]}

    @router.get("/audit", summary="Checkpoints (own and those held of peers), last verify")
    async def audit(request: Request) -> dict[str, Any]:
        await auth.api_session(request, Permission.VIEW)
        history = await asyncio.to_thread(q.history)
        return {"region": q.region,
                "checkpoints": [vars(c) for c in history.checkpoints[-20:]],
                "peers": {p: [vars(c) for c in cs[-10:]]
                          for p, cs in history.peer_checkpoints.items()},
                "last_verify": _jsonable(dataclasses.asdict(q.last_verify))
                if q.last_verify else None}

    @router.get("/federation", summary="Agreements, recognitions and refusals, records issued")
    async def federation(request: Request) -> dict[str, Any]:
        await auth.api_session(request, Permission.VIEW)
        history = await asyncio.to_thread(q.history)
        document = history.to_json()
        return {key: document[key] for key in ("region", "scopes", "decisions", "records")}

    @router.get("/reconciliation", summary="The last reconciliation with each peer")
    async def reconciliation(request: Request) -> dict[str, Any]:
        await auth.api_session(request, Permission.VIEW)
        return {"peers": list(q.peers), "reports": {
            p: _jsonable(dataclasses.asdict(o)) for p, o in q.reconciliations.items()}}


def _action_api(router: APIRouter, q: ConsoleQueries, directory: OperatorDirectory,
                auth: ConsoleAuth) -> None:
    @router.post("/audit/verify", summary="Run an audit verify now")
    async def verify(request: Request) -> dict[str, Any]:
        session = await auth.api_session(request, Permission.VERIFY)
        outcome = await asyncio.to_thread(q.verify, session.operator)
        await asyncio.to_thread(directory.record, session, "audit.verify", q.region,
                                "passed" if outcome.ok else "failed",
                                f"{outcome.events} events, {outcome.checkpoints} checkpoints")
        return _jsonable(dataclasses.asdict(outcome))

    @router.post("/audit/checkpoint", summary="Sign a checkpoint now")
    async def checkpoint(request: Request) -> dict[str, Any]:
        session = await auth.api_session(request, Permission.CHECKPOINT)
        signed = await asyncio.to_thread(q.checkpoint)
        await asyncio.to_thread(directory.record, session, "audit.checkpoint", q.region,
                                "signed", f"tree size {signed['size']}")
        return signed

    @router.post("/reconciliation/{peer}", summary="Reconcile with a running peer now",
                 responses={404: {"description": "not a peer region"}})
    async def reconcile(request: Request, peer: str) -> dict[str, Any]:
        session = await auth.api_session(request, Permission.RECONCILE)
        if peer not in q.peers:
            raise HTTPException(404, f"region {peer!r} is not a peer of {q.region}")
        outcome = await asyncio.to_thread(q.reconcile, peer, session.operator)
        await asyncio.to_thread(directory.record, session, "reconcile", peer,
                                "failed" if outcome.error else "ran",
                                outcome.error or outcome.summary)
        return _jsonable(dataclasses.asdict(outcome))

    @router.get("/dlq", summary="Dead-lettered exchanges and why")
    async def dlq(request: Request, all: bool = False) -> list[dict[str, Any]]:
        await auth.api_session(request, Permission.VIEW)
        entries = await asyncio.to_thread(q.dead_letters, all)
        return [_jsonable(dataclasses.asdict(e)) for e in entries]

    @router.post("/dlq/{exchange}/requeue", summary="Requeue a dead letter",
                 responses={404: {"description": "no such exchange"},
                            409: {"description": "not dead-lettered"}})
    async def requeue(request: Request, exchange: str) -> dict[str, Any]:
        session = await auth.api_session(request, Permission.REQUEUE)
        try:
            uid = await asyncio.to_thread(q.requeue, exchange, session.operator)
        except HubError as exc:
            await asyncio.to_thread(directory.record, session, "dlq.requeue", exchange,
                                    "failed", exc.message)
            raise HTTPException(404 if exc.code == "exchange-not-found" else 409,
                                exc.message) from None
        await asyncio.to_thread(directory.record, session, "dlq.requeue", uid, "requeued")
        return {"exchange_id": uid, "status": "routed"}

    @router.get("/operators/actions", summary="The latest operator actions (auditors)")
    async def actions(request: Request) -> list[dict[str, Any]]:
        await auth.api_session(request, Permission.ACTION_LOG)
        entries = await asyncio.to_thread(directory.actions)
        return [_jsonable(dataclasses.asdict(e)) for e in entries]


def _jsonable(value: Any) -> Any:
    """Datetimes and other non-JSON values as strings, recursively."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
