"""The relay wakes at once when told new events were recorded, from any thread."""

from __future__ import annotations

import asyncio
import threading
import time

from hub.adapters.store.ledger import Ledger
from hub.service_layer.exchanges.relay import OutboxRelay
from hub.service_layer.exchanges.routing import ServiceDirectory

POLL_S = 30.0  # far longer than the test: only a wake-up can start the second pass


class _CountingRelay(OutboxRelay):
    """The relay, with each pass over the ledger announced (the ledger stays empty)."""

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(ledger, bus=None, directory=ServiceDirectory("north", []),  # type: ignore[arg-type]
                         poll_s=POLL_S, inline_grace_s=15.0)
        self.passes: asyncio.Queue[float] = asyncio.Queue()
        self.woken_at = 0.0

    async def _relay_once(self, position: int) -> int:
        self.passes.put_nowait(time.monotonic())
        return position


def _wake_later(relay: _CountingRelay) -> None:
    time.sleep(0.1)
    relay.woken_at = time.monotonic()
    relay.wake()


async def test_a_wake_from_another_thread_starts_a_pass_at_once(ledger: Ledger) -> None:
    """The console records a requeue in a worker thread and wakes the relay from there: an
    asyncio.Event set off its loop's thread does not wake the loop, so the relay slept out
    its poll interval (here 30 s) before publishing."""
    relay = _CountingRelay(ledger)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        await asyncio.wait_for(relay.passes.get(), 5)  # the first pass, at start
        await asyncio.sleep(0.05)  # the relay now waits for a wake-up or its poll
        waker = threading.Thread(target=_wake_later, args=(relay,))
        waker.start()  # wakes the relay while this loop sleeps in its selector
        second = await asyncio.wait_for(relay.passes.get(), 5)
        waker.join()
        assert second - relay.woken_at < 1.0
    finally:
        stop.set()
        relay.wake()
        await asyncio.wait_for(task, 5)


async def test_a_wake_on_the_loop_starts_a_pass_at_once(ledger: Ledger) -> None:
    """The gateway wakes the relay from the event loop, right after recording."""
    relay = _CountingRelay(ledger)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        await asyncio.wait_for(relay.passes.get(), 5)
        await asyncio.sleep(0.05)
        woken = time.monotonic()
        relay.wake()
        second = await asyncio.wait_for(relay.passes.get(), 5)
        assert second - woken < 1.0
    finally:
        stop.set()
        relay.wake()
        await asyncio.wait_for(task, 5)


async def test_stopping_ends_a_waiting_relay_at_once(ledger: Ledger) -> None:
    """Stop wakes the relay's wait (no wake() needed): it relays once more and returns."""
    relay = _CountingRelay(ledger)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    await asyncio.wait_for(relay.passes.get(), 5)
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 2)
    assert relay.passes.qsize() == 1  # the last pass, over what was recorded meanwhile
