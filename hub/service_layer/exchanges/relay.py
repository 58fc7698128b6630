"""The outbox relay: follows the ledger's notification log and publishes to JetStream.

Nothing is published that was not first recorded. Each publish carries
``Nats-Msg-Id = <region>-ledger-<position>``, so re-publishing after a crash
(between publish and saving the tracked position) is dropped by JetStream's
duplicate window; the tracked position lives in the event store itself
(eventsourcing's tracking table), so it survives restarts with the ledger.

The position is saved at most every ``TRACK_EVERY_S`` (and when the relay
stops), not per page: a transaction per page was one of the few writes each
query paid for, and what a crash leaves untracked is at most that much
publishing, far inside the duplicate window, so it is published again and
dropped as a duplicate.

An exchange routed ``inline`` is delivered by the process that accepted it
(:mod:`hub.service_layer.exchanges.inline`): the relay holds it until its
``Delivered`` follows in the log, and publishes it only when the grace period has
passed without one. The saved position never passes the oldest exchange held, so
whoever relays next reads that claim again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

import structlog
from eventsourcing.persistence import IntegrityError, Notification, Tracking

from hub.adapters.bus.port import Bus
from hub.adapters.store.ledger import Ledger
from hub.domain.errors import ExchangeConflictError, ExchangeStateError
from hub.domain.exchange import Exchange
from hub.domain.originator import originator_uuid
from hub.errors import BusError, RoutingError
from hub.service_layer.exchanges.inline import handover
from hub.service_layer.exchanges.messages import DeliveryRequest
from hub.service_layer.exchanges.routed import delivery_request
from hub.service_layer.exchanges.routing import ServiceDirectory
from hub.work import WORK, to_thread

log = structlog.get_logger("hub.service_layer.exchanges.relay")

RELAY_NAME = "outbox-relay"
TRACK_EVERY_S = 1.0  # JetStream's duplicate window (hub.adapters.nats.bus.StreamSpec) is 120 s
# Routed: a new exchange. Requeued: an operator's replay of a dead letter, published
# again under its own ledger position, hence a new message id past the duplicate window.
RELAYED_TOPICS = (Exchange.Routed.TOPIC, Exchange.Requeued.TOPIC)
# What the relay reads: besides what it publishes, the outcome that settles an inline claim.
_READ_TOPICS = (*RELAYED_TOPICS, Exchange.Delivered.TOPIC)


@dataclass(frozen=True)
class _Held:
    """An inline exchange the relay publishes if no outcome follows by ``due``."""

    position: int
    due: float  # wall-clock seconds: the claim's Routed timestamp plus the grace period
    routed: Exchange.Routed  # its delivery request is built only if it is published


class OutboxRelay:
    """Publishes every ``Routed`` and ``Requeued`` event, in ledger order, once in effect."""

    def __init__(
        self,
        ledger: Ledger,
        bus: Bus,
        directory: ServiceDirectory,
        *,
        poll_s: float,
        inline_grace_s: float,
        batch: int = 256,
    ) -> None:
        self._ledger = ledger
        self._bus = bus
        self._directory = directory
        self._poll_s = poll_s
        self._batch = batch
        self._grace_s = inline_grace_s
        self._held: dict[str, _Held] = {}  # by exchange id, in ledger order
        self._tracking = ledger.factory.tracking_recorder()
        self._wakeup = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.published = 0
        self._tracked = 0
        self._tracked_at = 0.0

    def wake(self) -> None:
        """Tell the relay new events were recorded (saves a poll interval of latency).

        Callable from any thread (the console records a requeue in a worker thread):
        an ``asyncio.Event`` set off its loop's thread would not wake the loop, and
        the relay would sleep out its poll interval.
        """
        loop = self._loop
        if loop is None or _running_loop() is loop:
            self._wakeup.set()
        elif not loop.is_closed():
            loop.call_soon_threadsafe(self._wakeup.set)

    @property
    def position(self) -> int:
        """The last ledger position whose publication is tracked."""
        return self._tracking.max_tracking_id(RELAY_NAME) or 0

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until ``stop`` is set; then relay what is already recorded, and return."""
        self._loop = asyncio.get_running_loop()
        position = self._tracked = await to_thread(lambda: self.position)
        log.info("relay started", position=position)
        # Stopping wakes the relay too: its waits then need no task of their own.
        stopper = asyncio.ensure_future(stop.wait())
        stopper.add_done_callback(lambda _: self._wakeup.set())
        try:
            await self._relay_until(stop, position)
        finally:
            stopper.cancel()

    async def _relay_until(self, stop: asyncio.Event, position: int) -> None:
        while True:
            self._wakeup.clear()
            try:
                position = await self._relay_once(position)
            except BusError as exc:
                # Unpublished events stay in the ledger; retry from the tracked position.
                log.warning(
                    "relay publish failed; will retry", error=exc.message, position=position
                )
            await self._track_lazily(position, now=stop.is_set())
            position = max(position, self._tracked)  # another relay may have gone further
            if stop.is_set():
                return
            # Until woken (or stopped), or the poll interval passed; no task per wait,
            # and on a lightly loaded hub there is a wait per query.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_s):
                    await self._wakeup.wait()

    async def _relay_once(self, position: int) -> int:
        while True:
            await self._publish_overdue()
            page = await to_thread(
                self._ledger.notifications, position + 1, self._batch, _READ_TOPICS
            )
            if not page:
                return position
            due = self._hold_inline(page)
            # The page's publishes are in flight together (one round trip to JetStream
            # for the page, not one per event), sent in ledger order.
            outcomes = await asyncio.gather(
                *(self._publish(n, request) for n, request in due), return_exceptions=True
            )
            for (notification, _), outcome in zip(due, outcomes, strict=True):
                if isinstance(outcome, RoutingError):
                    # One unroutable exchange must not stop the relay for all others.
                    await to_thread(self._fail_unroutable, notification, outcome)
                elif isinstance(outcome, BaseException):
                    raise outcome  # e.g. BusError: the page is published again, deduplicated
                else:
                    self.published += 1
            position = page[-1].id
            await self._track_lazily(position)

    def _hold_inline(self, page: list[Notification]
                     ) -> list[tuple[Notification, DeliveryRequest | None]]:
        """What of ``page`` to publish now (with its request when the event gave it);
        inline claims are held, and a ``Delivered`` settles the claim it follows.

        A ``Routed`` whose ``Delivered`` is in the same page is settled already, inline or
        not: it is passed over without being decoded (on a busy hub, most inline claims;
        a queued one's publication is then past, and JetStream or the worker's status
        check would drop a second one anyway).
        """
        delivered = {n.originator_id for n in page if n.topic == Exchange.Delivered.TOPIC}
        due: list[tuple[Notification, DeliveryRequest | None]] = []
        for notification in page:
            if notification.topic == Exchange.Delivered.TOPIC:
                self._held.pop(str(originator_uuid(notification.originator_id)), None)
                continue
            if (notification.topic == Exchange.Routed.TOPIC
                    and notification.originator_id in delivered):
                continue
            routed = self._routed_event(notification)
            if routed is not None and routed.inline and routed.service:
                self._held[str(routed.originator_id)] = _Held(
                    notification.id, routed.timestamp.timestamp() + self._grace_s, routed)
                continue
            due.append((notification, self._routed_request(notification, routed)
                        if routed else None))
        return due

    async def _publish_overdue(self) -> None:
        """Publish the inline claims whose grace period passed without an outcome: their
        process stopped, or broke, before it recorded one."""
        now = time.time()
        for exchange_id, held in list(self._held.items()):
            if held.due > now:
                continue
            log.warning("inline exchange not delivered within its grace period; publishing it",
                        exchange_id=exchange_id, position=held.position)
            try:
                await handover(self._bus, self._directory.region, held.routed.subject,
                               delivery_request(held.routed, held.position))
            except BusError as exc:
                log.warning("relay publish failed; will retry", error=exc.message,
                            exchange_id=exchange_id)
                return
            self._held.pop(exchange_id, None)
            self.published += 1

    def _safe_position(self, position: int) -> int:
        """The position that may be saved: before the oldest claim still held."""
        if not self._held:
            return position
        return min(position, min(h.position for h in self._held.values()) - 1)

    async def _publish(self, notification: Notification,
                       request: DeliveryRequest | None = None) -> None:
        if request is None:
            request = await to_thread(self._delivery_request, notification)
        subject = self._directory.delivery_subject(self._directory.get(request.service))
        await self._bus.publish(
            subject,
            request.model_dump_json().encode(),
            msg_id=f"{self._directory.region}-ledger-{notification.id}",
            headers={"Correlation-Id": request.correlation_id},
        )

    async def _track_lazily(self, position: int, *, now: bool = False) -> None:
        """Save ``position`` (or before the oldest inline claim held) if it moved and
        ``TRACK_EVERY_S`` passed (or ``now``)."""
        position = self._safe_position(position)
        if position <= self._tracked:
            return
        if not now and time.monotonic() - self._tracked_at < TRACK_EVERY_S:
            return
        self._tracked = await to_thread(self._track, position)
        self._tracked_at = time.monotonic()

    def _track(self, position: int) -> int:
        """Record ``position`` as published; return the tracked position from here on.

        Another relay of the region (a lease holder taking over) may have tracked it
        first: then carry on from where the store says, never die on the race. What
        both published, JetStream's duplicate window dropped (same ``Nats-Msg-Id``).
        """
        WORK.add("write_transactions")
        try:
            self._tracking.insert_tracking(Tracking(RELAY_NAME, position))
        except IntegrityError:
            tracked = self.position
            log.warning("relay lost a tracking race; continuing from the tracked position",
                        attempted=position, tracked=tracked)
            return max(tracked, position)
        return position

    def _fail_unroutable(self, notification: Notification, exc: RoutingError) -> None:
        """Record, for good, that a routed exchange can no longer be addressed."""
        exchange_id = originator_uuid(notification.originator_id)
        log.error("routed exchange cannot be published", exchange_id=str(exchange_id),
                  code=exc.code, reason=exc.message)
        try:
            self._ledger.record_failure(exchange_id, attempt=0, code=exc.code,
                                        reason=exc.message, retryable=False, give_up=False)
        except (ExchangeStateError, ExchangeConflictError):
            pass  # already settled (e.g. by an earlier relay run): nothing to add

    def _routed_event(self, notification: Notification) -> Exchange.Routed | None:
        """The ``Routed`` event of ``notification`` (nothing in it is sealed); None for a
        requeue."""
        if notification.topic != Exchange.Routed.TOPIC:
            return None
        routed = self._ledger.mapper.to_domain_event(notification)
        return routed if isinstance(routed, Exchange.Routed) else None

    @staticmethod
    def _routed_request(notification: Notification, routed: Exchange.Routed
                        ) -> DeliveryRequest | None:
        """The request from a ``Routed`` event alone (no load, no key); None for one
        recorded before it carried enough."""
        if not routed.service:
            return None
        return delivery_request(routed, notification.id)

    def _delivery_request(self, notification: Notification) -> DeliveryRequest:
        exchange_id = originator_uuid(notification.originator_id)
        # Service and correlation id are fixed at Received (version 1): reading only that
        # event skips unsealing the personal request, which the relay never needs.
        exchange = self._ledger.get(exchange_id, version=1)
        return DeliveryRequest(
            exchange_id=str(exchange_id),
            ledger_position=notification.id,
            service=exchange.service,
            correlation_id=exchange.correlation_id,
        )


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
