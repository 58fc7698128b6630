"""What the parent of ``serve --workers N`` runs beside its workers: NATS and the projections.

- **The region's embedded nats-server** (without ``HUB_NATS_URL``). A lone hub starts
  its own; workers sharing a region must share one, so the parent starts it and keeps
  its users in step with the credentials in the ledger, as a lone hub does
  (:mod:`hub.adapters.nats.user_sync`). The workers connect to it as the hub's own
  nkey user (``HUB_NATS_HUB_USER``), whose seed they read from the region's key store.
- **The read store's projections and the access watch**, under their own lease
  (:data:`hub.adapters.store.relay_lease.PROJECTIONS`), taken before the workers start
  (on PostgreSQL, unless another host's hub holds it).
  Their rounds decode and apply every event; run in a worker they would share its core
  and GIL with the event loop that answers queries. A worker takes the lease over only
  if the parent lets it go (the parent's end stops the workers too).

The parent outlives its workers (they stop with it), so the server and the projections'
last round do too.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from hub.adapters.nats.user_sync import open_region_nats
from hub.adapters.projections.access_watch import AccessWatch
from hub.adapters.projections.live import live_projections
from hub.adapters.readmodels import models_of
from hub.adapters.store.ledger import Ledger
from hub.adapters.store.relay_lease import PROJECTIONS, relay_lease, while_leased
from hub.bootstrap.long_lived import frozen_startup
from hub.bootstrap.privacy import build_ledger
from hub.service_layer.exchanges.routing import ServiceDefinition, time_limits, watch_policies
from hub.service_layer.security.anomalies import AccessAnomalies
from hub.service_layer.security.credentials import CredentialService
from hub.settings import HubSettings


@dataclass(frozen=True)
class PoolParent:
    """Where the workers connect (their ``HUB_*`` settings), and the parent's own work."""

    env: dict[str, str]
    tasks: tuple[asyncio.Task[None], ...]
    failures: asyncio.Queue[str]  # (duty: reason) of a leased duty that failed

    async def failed(self) -> str:
        """Return, with the reason, when the parent's work stopped while the pool runs."""
        reported = asyncio.ensure_future(self.failures.get())
        try:
            done, _ = await asyncio.wait({*self.tasks, reported},
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            reported.cancel()
        if reported in done:
            return reported.result()
        task = done.pop()
        error = task.exception()
        return f"{task.get_name()}: {error!r}" if error else f"{task.get_name()} returned"


@contextlib.asynccontextmanager
async def running_pool_parent(
    settings: HubSettings, services: Sequence[ServiceDefinition]
) -> AsyncIterator[PoolParent]:
    """Run the parent's work for the duration of the block (the workers run inside it)."""
    async with contextlib.AsyncExitStack() as stack:
        ledger = await asyncio.to_thread(build_ledger, settings)  # creates tables and keys
        stack.callback(ledger.close)
        models = await asyncio.to_thread(models_of, ledger)  # credentials, for users and watch
        credentials = CredentialService(ledger, settings.region)
        stop = asyncio.Event()
        failures: asyncio.Queue[str] = asyncio.Queue()
        tasks = [asyncio.create_task(models.follower().run(stop), name="read-models")]
        env: dict[str, str] = {}
        if not settings.nats_url:
            env, users = await _embedded_nats(stack, settings, credentials, ledger)
            tasks.append(asyncio.create_task(users(stop), name="nats-users"))
        projections = await asyncio.to_thread(
            live_projections, ledger, settings, time_limits(services), (),
            watch=AccessWatch(watch_policies(services),
                              AccessAnomalies(ledger, credentials, settings.region)))
        stack.callback(projections.close)  # after the follower's last round
        tasks.append(asyncio.create_task(while_leased(
            relay_lease(settings, PROJECTIONS), {"projections": projections.follower.run},
            stop, report=lambda duty, reason: failures.put_nowait(f"{duty}: {reason}")),
            name="projections-lease"))
        # On SQLite the first try takes the file lease at once, long before the first
        # worker is up; on PostgreSQL another host's hub may hold it, and keeps it.
        await asyncio.sleep(0)
        # the parent's modules and read models live as long as the pool
        with frozen_startup():
            try:
                yield PoolParent(env, tuple(tasks), failures)
            finally:
                stop.set()
                for task in tasks:
                    with contextlib.suppress(Exception, asyncio.CancelledError):
                        await asyncio.wait_for(task, 30)


async def _embedded_nats(
    stack: contextlib.AsyncExitStack, settings: HubSettings, credentials: CredentialService,
    ledger: Ledger,
) -> tuple[dict[str, str], Callable[[asyncio.Event], Coroutine[Any, Any, None]]]:
    region_nats = await open_region_nats(stack, settings, credentials.active_department_nkeys,
                                         ledger.keyring)
    assert region_nats.server is not None  # no HUB_NATS_URL: the embedded one
    env = {"HUB_NATS_URL": region_nats.url, "HUB_NATS_HUB_USER": "true"}
    if region_nats.server.monitor_url:
        env["HUB_NATS_MONITOR_URL"] = region_nats.server.monitor_url

    async def users(stop: asyncio.Event) -> None:
        await region_nats.keep_users_in_step(stop, settings.nats_users_refresh_s)

    return env, users
