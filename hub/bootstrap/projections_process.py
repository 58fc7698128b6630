"""The read store's projections in a process of their own, beside the hub that serves queries.

The projections' follower decodes and applies, round after round, every event the
hub records. In the process that answers queries those rounds share its one core and
its GIL with the event loop: with the follower in the serving process a query cost
4.88 ms of hub CPU, without it 4.11 ms (interleaved A/B, docs/performance.md). So the
process holding the projections lease (:data:`hub.adapters.store.relay_lease.PROJECTIONS`)
runs the follower in a child (``HUB_PROJECTIONS_PROCESS``, on by default;
:mod:`hub.bootstrap.duty_process` says how the child is started, tied to the hub and
stopped). The lease stays with the hub, the child only follows. Whatever becomes of
the child (stopped, dead, never started), the hub then follows in its own process:
until the lease's duties end, or for one last round once they have, so everything
recorded before the hub stopped is applied. Positions move by compare-and-set, so
two runners never apply a page twice.

Without the setting (or in a process that must stay single, such as the parent of
``serve --workers N``, which is itself off the serving loops) the follower runs in
the hub's own process, as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from hub.adapters.projections.access_watch import AccessWatch
from hub.adapters.projections.follower import ProjectionFollower
from hub.adapters.projections.live import live_projections
from hub.bootstrap.duty_process import preload, run_in_child
from hub.bootstrap.privacy import build_ledger
from hub.domain.watch_policy import WatchPolicy
from hub.service_layer.security.anomalies import AccessAnomalies
from hub.service_layer.security.credentials import CredentialService
from hub.settings import HubSettings

preload(__name__)


def projections_duty(
    settings: HubSettings, limits: Mapping[str, float], policies: Mapping[str, WatchPolicy],
    follower: ProjectionFollower,
) -> Callable[[asyncio.Event], Awaitable[None]]:
    """The projections lease's duty: follow in a child process (``HUB_PROJECTIONS_PROCESS``)
    or with ``follower`` in this one, until the event it is given is set."""
    if not settings.projections_process:
        return follower.run

    async def duty(term: asyncio.Event) -> None:
        # The tables first, here (as the in-process follower does): the read routes find
        # them at once, not once the child has started (the fork server's imports take ~1 s).
        await asyncio.to_thread(follower.runner.prepare)
        await run_in_child(f"projections-{settings.region}", follow,
                           (settings, dict(limits), dict(policies)), term,
                           log_format=settings.log_format, log_level=settings.log_level)
        # Here from now on (the child failed), or one last round (the hub stops).
        await follower.run(term)

    return duty


async def follow(stop: asyncio.Event, settings: HubSettings, limits: dict[str, float],
                 policies: dict[str, WatchPolicy]) -> None:  # pragma: no cover - in the child
    """The child's work: follow the ledger into the read store until ``stop``."""
    ledger = build_ledger(settings)
    try:
        credentials = CredentialService(ledger, settings.region)
        watch = AccessWatch(policies, AccessAnomalies(ledger, credentials, settings.region))
        projections = live_projections(ledger, settings, limits, (), watch=watch)
        try:
            await projections.follower.run(stop)
        finally:
            projections.close()
    finally:
        ledger.close()
