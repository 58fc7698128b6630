"""Waking the region's relay from any hub process: a core NATS message as a hint.

The gateway wakes its own process's relay right after recording an exchange.
With several hub processes on one store (``serve --workers``), only the holder
of the relay lease (:mod:`hub.adapters.store.relay_lease`) relays; an exchange accepted by a
standby would wait for the holder's next poll (``HUB_RELAY_POLL_S``). So a
process that does not hold the lease also sends an empty core NATS message on
the region's wake subject, and every process's relay listens to it (only the
holder's is running; waking an idle one costs nothing).

It is a hint only: a lost hint costs at most one poll interval, and the poll
stays the safety net. Hints are coalesced: at most one is in flight, and one
more is sent after it when exchanges were recorded meanwhile, so a busy standby
sends far fewer hints than it records exchanges, and none is sent before the
exchange it announces is committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

import structlog

from hub.errors import BusError

log = structlog.get_logger("hub.adapters.nats.relay_wake")


class HintBus(Protocol):
    """What the hint needs of the bus (:class:`hub.adapters.nats.bus.JetStreamBus`)."""

    async def send(self, subject: str, data: bytes) -> None: ...

    async def listen(self, subject: str, on_message: Callable[[], None]) -> None: ...


class Lease(Protocol):
    held: bool


def wake_subject(region: str) -> str:
    """The core NATS subject a region's relay wake-up hints go to (hub users only)."""
    return f"_hub.{region}.relay.wake"


class RelayWakeup:
    """Wakes the local relay, and the lease holder's through NATS when this process is not it."""

    def __init__(self, wake_local: Callable[[], None], bus: HintBus, region: str,
                 lease: Lease) -> None:
        self._wake_local = wake_local
        self._bus = bus
        self._lease = lease
        self.subject = wake_subject(region)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sending = False
        self._again = False
        self._task: asyncio.Task[None] | None = None
        self.hints_sent = 0

    async def listen(self) -> None:
        """Wake the local relay on every hint (from now on, for the bus's lifetime)."""
        self._loop = asyncio.get_running_loop()
        await self._bus.listen(self.subject, self._wake_local)

    def __call__(self) -> None:
        """New events were recorded (callable from any thread, like the relay's wake)."""
        self._wake_local()
        if self._lease.held:
            return
        loop = self._loop
        if loop is None or loop.is_closed():
            return  # not listening yet: the holder's poll finds the events
        if _running_loop() is not loop:
            loop.call_soon_threadsafe(self._hint)
        else:
            self._hint()

    def _hint(self) -> None:
        if self._sending:
            self._again = True  # recorded after the hint in flight was sent: one more
            return
        self._sending = True
        self._task = asyncio.get_running_loop().create_task(self._send())

    async def _send(self) -> None:
        try:
            while True:
                self._again = False
                try:
                    await self._bus.send(self.subject, b"")
                except BusError as exc:
                    log.warning("relay wake-up hint not sent; the poll will find the events",
                                error=exc.message)
                    return
                self.hints_sent += 1
                if not self._again:
                    return
        finally:
            self._sending = False


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
