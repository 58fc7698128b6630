"""The periodic audit checkpoints in a process of their own, beside the hub that serves queries.

A checkpoint reads every event recorded since the last one, hashes it into the
log's tree and signs the new root: 20-30 µs per event, 0.6-1 s of Python a minute
at 240 queries/s, and the serving loop's longest stalls when it ran in a thread of
the hub (docs/performance.md). So the process holding the relay lease signs them in
a child (``HUB_AUDIT_PROCESS``, on by default; :mod:`hub.bootstrap.duty_process`
says how it is started, tied to the hub and stopped). The :class:`Auditor` keeps
nothing between calls and locks the audit folder around each checkpoint, so the
child and the hub never sign over each other. Should the child fail, the hub signs
the periodic checkpoints itself from then on; the last checkpoint at shutdown is the
hub's in every case (:func:`hub.service_layer.audit.final_checkpoint`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from hub.bootstrap.duty_process import preload, run_in_child
from hub.service_layer.audit import Auditor, checkpoint_periodically
from hub.settings import HubSettings

preload(__name__)


def checkpoints_duty(settings: HubSettings,
                     auditor: Auditor) -> Callable[[asyncio.Event], Awaitable[None]]:
    """The relay lease's checkpoint duty: sign every ``audit_checkpoint_interval_s`` in a
    child process (``HUB_AUDIT_PROCESS``) or with ``auditor`` in this one, until the event
    it is given is set."""
    interval_s = settings.audit_checkpoint_interval_s

    async def here(term: asyncio.Event) -> None:
        await checkpoint_periodically(auditor, interval_s=interval_s, stop=term)

    if not settings.audit_process:
        return here

    async def duty(term: asyncio.Event) -> None:
        await run_in_child(f"audit-{settings.region}", sign, (settings,), term,
                           log_format=settings.log_format, log_level=settings.log_level)
        if not term.is_set():  # the child failed: here from now on
            await here(term)

    return duty


async def sign(stop: asyncio.Event,
               settings: HubSettings) -> None:  # pragma: no cover - in the child
    """The child's work: a checkpoint at once, then one every interval, until ``stop``."""
    await checkpoint_periodically(Auditor.from_settings(settings),
                                  interval_s=settings.audit_checkpoint_interval_s, stop=stop)
