"""The region's embedded nats-server for ``serve --workers N``, run by the workers' parent.

Without ``HUB_NATS_URL`` a lone hub starts its own nats-server; workers sharing a
region must share one server, so the parent of the pool starts it instead and
keeps its users in step with the credentials in the ledger, as a lone hub does
(:mod:`hub.adapters.nats.user_sync`). The workers connect to it as the hub's own
nkey user (``HUB_NATS_HUB_USER``), whose seed they read from the region's key store.
The parent outlives its workers (they stop with it), so the server does too.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import structlog

from hub.adapters.nats.user_sync import open_region_nats
from hub.adapters.readmodels import models_of
from hub.bootstrap.privacy import build_ledger
from hub.service_layer.security.credentials import CredentialService
from hub.settings import HubSettings

log = structlog.get_logger("hub.bootstrap.pool_nats")


@dataclass(frozen=True)
class PoolNats:
    """Where the workers connect (their ``HUB_*`` settings), and the parent's background work."""

    env: dict[str, str]
    tasks: tuple[asyncio.Task[None], ...]  # the credentials' follower, the users' sync

    async def failed(self) -> str:
        """Return, with the reason, when a background task ended while the pool runs."""
        done, _ = await asyncio.wait(self.tasks, return_when=asyncio.FIRST_COMPLETED)
        task = done.pop()
        error = task.exception()
        return f"{task.get_name()}: {error!r}" if error else f"{task.get_name()} returned"


@contextlib.asynccontextmanager
async def running_pool_nats(settings: HubSettings) -> AsyncIterator[PoolNats]:
    """Run the embedded server with the region's NATS users for the duration of the block."""
    async with contextlib.AsyncExitStack() as stack:
        ledger = await asyncio.to_thread(build_ledger, settings)  # creates tables and keys
        stack.callback(ledger.close)
        models = await asyncio.to_thread(models_of, ledger)  # the credentials read model
        credentials = CredentialService(ledger, settings.region)
        region_nats = await open_region_nats(stack, settings,
                                             credentials.active_department_nkeys, ledger.keyring)
        assert region_nats.server is not None  # no HUB_NATS_URL: the embedded one
        stop = asyncio.Event()
        tasks = (
            asyncio.create_task(models.follower().run(stop), name="read-models"),
            asyncio.create_task(region_nats.keep_users_in_step(
                stop, settings.nats_users_refresh_s), name="nats-users"),
        )
        env = {"HUB_NATS_URL": region_nats.url, "HUB_NATS_HUB_USER": "true"}
        if region_nats.server.monitor_url:
            env["HUB_NATS_MONITOR_URL"] = region_nats.server.monitor_url
        try:
            yield PoolNats(env, tasks)
        finally:
            stop.set()
            for task in tasks:
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await asyncio.wait_for(task, 5)
