"""Live following: keeps the hub's read models up to date while it runs.

Polls the ledger like the outbox relay does (``hub.relay``): a short idle
wait that :meth:`ProjectionFollower.wake` cuts short, and a last catch-up when
the hub stops, so a clean shutdown leaves the read models complete. The
runner is synchronous (eventsourcing is), so each catch-up runs in a thread.
"""

from __future__ import annotations

import asyncio

import structlog

from contracts.errors import HubError
from hub.projections.runner import ProjectionRunner

log = structlog.get_logger("hub.projections")


class ProjectionFollower:
    """Runs a :class:`ProjectionRunner` until told to stop."""

    def __init__(self, runner: ProjectionRunner, *, poll_s: float) -> None:
        self.runner = runner
        self._poll_s = poll_s
        self._wakeup = asyncio.Event()
        self.applied = 0

    def wake(self) -> None:
        """Tell the follower new events were recorded (saves a poll interval of lag)."""
        self._wakeup.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Follow until ``stop`` is set; then apply what is already recorded, and return."""
        rebuilt = await asyncio.to_thread(self.runner.prepare)
        if rebuilt:
            log.info("projections start from the beginning of the ledger", projections=rebuilt)
        while True:
            self._wakeup.clear()
            try:
                self.applied += await asyncio.to_thread(self.runner.catch_up)
            except HubError as exc:
                # The ledger keeps every event: the next round resumes from the tracked position.
                log.warning("projection catch-up failed; will retry", error=exc.message)
            if stop.is_set():
                return
            waiter = asyncio.create_task(self._wakeup.wait())
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait(
                {waiter, stopper}, timeout=self._poll_s, return_when=asyncio.FIRST_COMPLETED
            )
            waiter.cancel()
            stopper.cancel()
