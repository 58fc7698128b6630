"""Kill the hub process at a chosen point of an exchange's path, from outside the product.

The hub carries no crash hook: a branch that exists only for fault tests does not
belong in production code. The fault harness (:mod:`simulations.fault_hub`) arms one
point before it starts the hub, by wrapping the production method where that point
lies; the hub then ``SIGKILL``s itself the ``on_reach``-th time an exchange gets there
— no ``finally``, no drain, exactly like ``kill -9``. Points, in path order:

- ``after-recording``: the exchange is in the ledger, not yet published — before the
  relay's publish of a ledger notification (:meth:`JetStreamBus.publish` with the
  relay's ``<region>-ledger-<position>`` message id);
- ``after-publishing``: published to JetStream, the relay's position not yet saved —
  after that publish returned;
- ``after-claiming``: an exchange claimed for inline delivery is in the ledger, its
  provider not yet called — when the accepting process starts to deliver it
  (:meth:`DeliveryWorker.deliver_inline`); the relay of the restarted hub publishes it
  once the claim's grace period has passed;
- ``after-provider``: the provider answered, the answer not yet recorded — after a
  mapping provider's ``call`` returned;
- ``before-ack``: the answer is recorded and sent, the message not yet acknowledged —
  when the delivery worker acks the delivery it handled.

A point fires once per data folder: a marker file ``DIR/crash-<point>.fired`` is
written (and fsynced) first, so the restarted hub, armed the same way, carries on.
"""

from __future__ import annotations

import functools
import os
import signal
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import structlog

from hub.adapters.bus.port import Delivery
from hub.adapters.nats.bus import JetStreamBus
from hub.service_layer.exchanges.delivery import DeliveryWorker
from translation.mapping.json_provider import JsonMappingProvider
from translation.mapping.soap_provider import SoapMappingProvider

log = structlog.get_logger("simulations.crash_points")

CRASH_POINTS = ("after-recording", "after-publishing", "after-claiming", "after-provider",
                "before-ack")
_RELAYED = "-ledger-"  # in the message id of every ledger notification the relay publishes


class CrashPoint:
    """Kills this process with SIGKILL the ``on_reach``-th time :meth:`reach` is called."""

    def __init__(self, point: str, marker_dir: Path, on_reach: int = 1) -> None:
        if point not in CRASH_POINTS:
            raise ValueError(f"unknown crash point {point!r}; known: {', '.join(CRASH_POINTS)}")
        if on_reach < 1:
            raise ValueError(f"on_reach must be at least 1, not {on_reach}")
        self.point = point
        self.marker = marker_dir / f"crash-{point}.fired"
        self._remaining = on_reach

    def reach(self) -> None:
        """An exchange got to the point: crash if it is the chosen time and not fired yet."""
        self._remaining -= 1
        if self._remaining != 0 or self.marker.exists():
            return
        self.marker.parent.mkdir(parents=True, exist_ok=True)
        with self.marker.open("w") as marker:
            marker.write(f"{os.getpid()}\n")
            marker.flush()
            os.fsync(marker.fileno())
        log.warning("crash point reached: SIGKILL", point=self.point, pid=os.getpid())
        os.kill(os.getpid(), signal.SIGKILL)


def arm(point: str, marker_dir: Path, on_reach: int = 1) -> CrashPoint:
    """Wrap the production method at ``point`` so that this process dies there."""
    crash = CrashPoint(point, marker_dir, on_reach)
    _ARMING[point](crash)
    return crash


def _around_relay_publish(crash: CrashPoint, *, after: bool) -> None:
    publish = JetStreamBus.publish

    @functools.wraps(publish)
    async def crashing(self: JetStreamBus, subject: str, data: bytes, *, msg_id: str,
                       headers: Mapping[str, str] | None = None) -> None:
        relayed = _RELAYED in msg_id
        if relayed and not after:
            crash.reach()
        await publish(self, subject, data, msg_id=msg_id, headers=headers)
        if relayed and after:
            crash.reach()

    JetStreamBus.publish = crashing  # type: ignore[method-assign]


def _after_provider(crash: CrashPoint) -> None:
    for provider in (SoapMappingProvider, JsonMappingProvider):
        provider.call = _answered_then(provider.call, crash)  # type: ignore[method-assign]


def _answered_then(call: Callable[..., Any], crash: CrashPoint) -> Callable[..., Any]:
    @functools.wraps(call)
    async def crashing(self: Any, request: Any, *, correlation_id: str) -> Any:
        answer = await call(self, request, correlation_id=correlation_id)
        crash.reach()
        return answer

    return crashing


class _AckCrashes:
    """The delivery a worker handles, crashing the process when it is acknowledged."""

    def __init__(self, delivery: Delivery, crash: CrashPoint) -> None:
        self._delivery = delivery
        self._crash = crash
        self.subject = delivery.subject
        self.data = delivery.data
        self.headers = delivery.headers
        self.attempt = delivery.attempt

    async def ack(self) -> None:
        self._crash.reach()
        await self._delivery.ack()

    async def retry(self, delay: float) -> None:
        await self._delivery.retry(delay)


def _after_claiming(crash: CrashPoint) -> None:
    deliver = DeliveryWorker.deliver_inline

    @functools.wraps(deliver)
    async def crashing(self: DeliveryWorker, *args: Any, **kwargs: Any) -> None:
        crash.reach()
        await deliver(self, *args, **kwargs)

    DeliveryWorker.deliver_inline = crashing  # type: ignore[method-assign]


def _before_ack(crash: CrashPoint) -> None:
    handle = DeliveryWorker.handle

    @functools.wraps(handle)
    async def crashing(self: DeliveryWorker, delivery: Delivery) -> None:
        await handle(self, _AckCrashes(delivery, crash))

    DeliveryWorker.handle = crashing  # type: ignore[method-assign]


_ARMING: dict[str, Callable[[CrashPoint], None]] = {
    "after-recording": functools.partial(_around_relay_publish, after=False),
    "after-publishing": functools.partial(_around_relay_publish, after=True),
    "after-claiming": _after_claiming,
    "after-provider": _after_provider,
    "before-ack": _before_ack,
}
