"""Live following: the one loop that keeps anything derived from the ledger up to date.

A :class:`Follower` runs a *step* (catch up from where you stand; return how
many notifications you read) again and again: after a short idle wait that
:meth:`Follower.wake` cuts short, and once more when the hub stops, so a clean
shutdown leaves what it follows complete. Each step starts from its own last
position, never from the start of the ledger, so an idle round costs one
short read whatever the ledger's length.

The projections (:class:`ProjectionFollower`, positions in the read store) and
the in-memory read models of :mod:`hub.adapters.readmodels` (positions in memory) both
run on it; anything else that follows the notification log (an outbox relay)
can hand it an async step of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from contracts.errors import HubError
from hub.adapters.projections.runner import ProjectionRunner

log = structlog.get_logger("hub.adapters.projections")

Step = Callable[[], Awaitable[int]]
"""One catch-up: reads what was recorded since the last one; returns notifications read."""


class Follower:
    """Runs ``step`` until told to stop: on every wake-up, at least every ``poll_s``."""

    def __init__(self, step: Step, *, poll_s: float, name: str) -> None:
        self._step = step
        self._poll_s = poll_s
        self.name = name
        self._wakeup = asyncio.Event()
        self.applied = 0  # notifications read since start
        self.rounds = 0  # steps run since start (an idle round reads nothing)

    def wake(self) -> None:
        """Tell the follower new events were recorded (saves a poll interval of lag)."""
        self._wakeup.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Follow until ``stop`` is set; then apply what is already recorded, and return."""
        while True:
            self._wakeup.clear()
            try:
                self.applied += await self._step()
            except HubError as exc:
                # The ledger keeps every event: the next round resumes from the last position.
                log.warning("catch-up failed; will retry", follower=self.name, error=exc.message)
            self.rounds += 1
            if stop.is_set():
                return
            waiter = asyncio.create_task(self._wakeup.wait())
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait(
                {waiter, stopper}, timeout=self._poll_s, return_when=asyncio.FIRST_COMPLETED
            )
            waiter.cancel()
            stopper.cancel()


class ProjectionFollower(Follower):
    """Runs a :class:`ProjectionRunner` (synchronous: each catch-up runs in a thread)."""

    def __init__(self, runner: ProjectionRunner, *, poll_s: float) -> None:
        super().__init__(self._catch_up, poll_s=poll_s, name="projections")
        self.runner = runner

    async def run(self, stop: asyncio.Event) -> None:
        """Create or rebuild the projections' tables first, then follow."""
        rebuilt = await asyncio.to_thread(self.runner.prepare)
        if rebuilt:
            log.info("projections start from the beginning of the ledger", projections=rebuilt)
        await super().run(stop)

    async def _catch_up(self) -> int:
        return await asyncio.to_thread(self.runner.catch_up)
