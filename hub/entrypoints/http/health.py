"""``/health``: is this hub able to do its work? 200 when every check passes, else 503.

Like X-Road's health check it answers without login (monitoring asks it), and
says which part failed, never a secret. Checks, each bounded by ``TIMEOUT_S``:

- ``store``: the event store answers a read (its last position);
- ``nats``: the bus is connected and JetStream answers for the delivery stream;
- ``keys``: the key-encryption key, the audit signing key (once a checkpoint was
  signed) and, for a federated region, its signing keys can be read;
- ``tasks``: no background task (relay, delivery consumers, projection follower,
  checkpointer, lease keeper) has died since the hub started;
- ``checkpoint``: the latest signed checkpoint is fresh — signed within twice the
  checkpoint interval (plus a grace), or no event was recorded since it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from contracts.errors import HubError
from hub.adapters.crypto.kek import key_encryption_key
from hub.adapters.store.ledger import Ledger
from hub.bootstrap.supervisor import TaskSupervisor
from hub.service_layer.audit import Auditor
from hub.service_layer.audit.keys import audit_key_path
from hub.settings import HubSettings

TIMEOUT_S = 5.0
GRACE_S = 30.0
DETAIL_CHARS = 200

log = structlog.get_logger("hub.entrypoints.http.health")


@dataclass(frozen=True)
class Check:
    """One health check's result."""

    name: str
    ok: bool
    detail: str


class HealthChecks:
    """The checks of one running hub."""

    def __init__(
        self,
        settings: HubSettings,
        ledger: Ledger,
        auditor: Auditor,
        bus_check: Callable[[], Awaitable[str | None]],
        *,
        supervisor: TaskSupervisor,
        started: dt.datetime | None = None,
    ) -> None:
        self._supervisor = supervisor
        self._settings = settings
        self._ledger = ledger
        self._auditor = auditor
        self._bus_check = bus_check
        self._started = started or dt.datetime.now(dt.UTC)

    async def run(self) -> list[Check]:
        """Every check, concurrently, each within ``TIMEOUT_S``."""
        return list(await asyncio.gather(
            self._bounded("store", asyncio.to_thread(self._store)),
            self._bounded("nats", self._nats()),
            self._bounded("keys", asyncio.to_thread(self._keys)),
            self._bounded("checkpoint", asyncio.to_thread(self._checkpoint)),
            self._bounded("tasks", self._tasks()),
        ))

    async def _bounded(self, name: str, check: Awaitable[str]) -> Check:
        try:
            detail = await asyncio.wait_for(check, TIMEOUT_S)
        except TimeoutError:
            return Check(name, False, f"no answer within {TIMEOUT_S:g} s")
        except (HubError, OSError) as exc:
            return Check(name, False, getattr(exc, "message", None) or str(exc))
        except Exception as exc:  # a failing part is a failed check, never a 500
            # A store that is down raises its driver's errors (eventsourcing's
            # OperationalError, psycopg's): monitoring must read "store failed", not a 500.
            log.warning("health check failed", check=name, exc_info=True)
            first_line = (str(exc).splitlines() or [""])[0][:DETAIL_CHARS]
            return Check(name, False, f"{type(exc).__name__}: {first_line}".rstrip(": "))
        return Check(name, True, detail)

    def _store(self) -> str:
        position = self._ledger.recorder.max_notification_id() or 0
        return f"event store answers (position {position})"

    async def _nats(self) -> str:
        problem = await self._bus_check()
        if problem is not None:
            raise HubError(problem)
        return "connected; JetStream answers"

    async def _tasks(self) -> str:
        dead = self._supervisor.dead
        if dead:
            raise HubError("background task died: " + "; ".join(
                f"{task.name} ({task.reason})" for task in dead))
        return f"{len(self._supervisor.tasks)} background tasks running"

    def _keys(self) -> str:
        key_encryption_key(self._settings)
        found = ["key-encryption key"]
        if audit_key_path(self._settings.data).exists():
            self._auditor.verifier()
            found.append("audit key")
        if self._settings.peers:
            from hub.bootstrap.federation import region_of

            region_of(self._settings)
            found.append("region keys")
        return "readable: " + ", ".join(found)

    def _checkpoint(self) -> str:
        interval = self._settings.audit_checkpoint_interval_s
        allowed = dt.timedelta(seconds=2 * interval + GRACE_S)
        now = dt.datetime.now(dt.UTC)
        notes = list(self._auditor.checkpoints.notes())
        if not notes:
            if now - self._started <= allowed:
                return "no checkpoint yet; the first is due within the interval"
            raise HubError(f"no checkpoint signed since the hub started {self._started:%H:%M:%S}")
        latest = self._auditor.checkpoints.latest(self._auditor.verifier())
        if latest is None:  # pragma: no cover - notes exist, so a latest one does
            raise HubError("no verifiable checkpoint")
        age = now - latest.timestamp
        with self._auditor.open_reader() as reader:
            # Rows stored, whatever gaps the positions have: the tree's size when caught up.
            last = self._ledger.recorder.max_notification_id() or 0
            newer = reader.count_before(last + 1) > latest.size
        if age > allowed and newer:
            raise HubError(
                f"the latest checkpoint (size {latest.size}) is {age.total_seconds():.0f} s old "
                f"with newer events; checkpoints are due every {interval:g} s")
        return f"latest checkpoint: size {latest.size}, {age.total_seconds():.0f} s old"


def health_router(checks: HealthChecks, region: str) -> APIRouter:
    """``GET /health``: 200 or 503 with each check's result."""
    router = APIRouter(tags=["operations"])

    @router.get("/health", summary="Store, NATS, keys and checkpoint freshness (200 or 503)",
                responses={503: {"description": "at least one check failed"}})
    async def health() -> JSONResponse:
        results = await checks.run()
        ok = all(c.ok for c in results)
        body: dict[str, Any] = {
            "status": "ok" if ok else "unhealthy", "region": region,
            "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in results},
        }
        return JSONResponse(body, status_code=200 if ok else 503)

    return router
