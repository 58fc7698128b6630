"""Signing checkpoints while the hub runs: once at start, every ``interval_s``, once at shutdown.

Checkpointing reads the store and fsyncs files, so it runs in a worker thread
(eventsourcing and the database drivers are synchronous). An interval with no
new events signs nothing. A failed checkpoint (the store briefly unreachable,
say) is logged with its reason and retried at the next interval: the hub keeps
serving, and the next checkpoint covers everything the failed one would have.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from hub.service_layer.audit.auditor import Auditor
from hub.service_layer.audit.checkpoint import Checkpoint
from hub.service_layer.audit.errors import AuditError

log = structlog.get_logger("hub.service_layer.audit")


async def checkpoint_periodically(
    auditor: Auditor, *, interval_s: float, stop: asyncio.Event
) -> None:
    """Sign a checkpoint every ``interval_s`` seconds while new events arrive, until ``stop``.

    The first is signed at once: a hub that starts over history its audit log does
    not cover yet (after a crash, a restore, or a ledger filled by another process)
    brings the log up to date during its start-up rather than one interval later,
    in the middle of its steady work.
    """
    await _checkpoint(auditor.checkpoint_if_new)
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
        except TimeoutError:
            await _checkpoint(auditor.checkpoint_if_new)


async def final_checkpoint(auditor: Auditor) -> None:
    """Sign one last checkpoint (at shutdown, once every writer has stopped)."""
    await _checkpoint(auditor.checkpoint)


async def _checkpoint(sign: Callable[[], Checkpoint | None]) -> None:
    try:
        await asyncio.to_thread(sign)
    except AuditError as exc:
        log.error("audit checkpoint failed", code=exc.code, reason=exc.message)
