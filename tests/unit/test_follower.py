"""The one follower loop: a round at start, on every wake-up or poll, and a last one at stop."""

from __future__ import annotations

import asyncio
import time

from contracts.errors import HubError
from hub.adapters.projections.follower import Follower


class Steps:
    """An async step that reports each round on a queue and fails once when told to."""

    def __init__(self) -> None:
        self.rounds: asyncio.Queue[int] = asyncio.Queue()
        self.count = 0
        self.fail_next = False

    async def __call__(self) -> int:
        self.count += 1
        self.rounds.put_nowait(self.count)
        if self.fail_next:
            self.fail_next = False
            raise HubError("store briefly unreachable")
        return 2


async def test_a_wake_up_cuts_the_idle_wait_short() -> None:
    """With a long poll, a wake-up still runs the next round at once; stop runs a last one."""
    steps = Steps()
    follower = Follower(steps, poll_s=30.0, name="test")
    stop = asyncio.Event()
    task = asyncio.create_task(follower.run(stop))
    assert await asyncio.wait_for(steps.rounds.get(), 5) == 1
    started = time.monotonic()
    follower.wake()
    assert await asyncio.wait_for(steps.rounds.get(), 1) == 2
    assert time.monotonic() - started < 1
    stop.set()
    await asyncio.wait_for(task, 5)
    assert steps.count == 3 and follower.applied == 6 and follower.rounds == 3


async def test_a_failed_round_is_retried_at_the_next_poll() -> None:
    """A hub error in a round is logged; the follower goes on polling."""
    steps = Steps()
    steps.fail_next = True
    follower = Follower(steps, poll_s=0.02, name="test")
    stop = asyncio.Event()
    task = asyncio.create_task(follower.run(stop))
    for expected in (1, 2, 3):
        assert await asyncio.wait_for(steps.rounds.get(), 5) == expected
    stop.set()
    await asyncio.wait_for(task, 5)
    assert task.exception() is None and follower.applied >= 4
