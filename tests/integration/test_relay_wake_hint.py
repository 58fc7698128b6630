"""A standby hub process wakes the lease holder's relay through a core NATS hint.

Two bus connections to one real nats-server stand for two hub processes of a
region: the holder's relay must run as soon as the standby records an exchange,
not at its next poll; the holder itself sends no hint (it wakes its own relay).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from hub.adapters.nats.bus import JetStreamBus, StreamSpec
from hub.adapters.nats.relay_wake import RelayWakeup
from hub.adapters.nats.server import NatsServerProcess


@dataclass
class _Lease:
    held: bool


class _Relay:
    """Stands for one process's relay: counts its wake-ups."""

    def __init__(self) -> None:
        self.woken = asyncio.Event()
        self.count = 0

    def wake(self) -> None:
        self.count += 1
        self.woken.set()


@pytest.fixture
async def buses(nats_server: NatsServerProcess) -> AsyncIterator[list[JetStreamBus]]:
    stream = StreamSpec("HUB_NORTH_DELIVERY", ["hub.north.deliver.>"])
    opened = [await JetStreamBus.connect(nats_server.url, stream, name=f"hub-{n}")
              for n in (1, 2)]
    yield opened
    for bus in opened:
        await bus.close()


async def _process(bus: JetStreamBus, held: bool) -> tuple[_Relay, RelayWakeup]:
    relay = _Relay()
    wakeup = RelayWakeup(relay.wake, bus, "north", _Lease(held))
    await wakeup.listen()
    return relay, wakeup


async def test_a_standby_wakes_the_holders_relay(buses: list[JetStreamBus]) -> None:
    holder_relay, holder = await _process(buses[0], held=True)
    _, standby = await _process(buses[1], held=False)
    standby()  # the standby's gateway recorded an exchange
    await asyncio.wait_for(holder_relay.woken.wait(), 2)
    assert standby.hints_sent == 1
    holder_relay.woken.clear()
    holder()  # the holder's own gateway wakes its relay directly, and sends no hint
    assert holder_relay.woken.is_set()
    assert holder.hints_sent == 0


async def test_hints_are_coalesced_and_the_last_exchange_is_announced(
    buses: list[JetStreamBus],
) -> None:
    """A burst of exchanges on a standby sends far fewer hints than exchanges, and the
    holder is woken after the burst's last one was recorded."""
    holder_relay, _ = await _process(buses[0], held=True)
    _, standby = await _process(buses[1], held=False)
    for _ in range(100):
        standby()
    await asyncio.sleep(0.3)
    assert 1 <= standby.hints_sent <= 2
    holder_relay.woken.clear()
    standby()  # after the burst settled: announced again
    await asyncio.wait_for(holder_relay.woken.wait(), 2)
    assert standby.hints_sent <= 3


async def test_a_hint_from_another_thread_is_sent(buses: list[JetStreamBus]) -> None:
    """The console records a requeue in a worker thread and wakes the relay from there."""
    holder_relay, _ = await _process(buses[0], held=True)
    _, standby = await _process(buses[1], held=False)
    await asyncio.to_thread(standby)
    await asyncio.wait_for(holder_relay.woken.wait(), 2)
