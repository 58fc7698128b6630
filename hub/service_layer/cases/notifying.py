"""Notifying each portal of every change of the cases it filed: a signed webhook, durable.

The notifications are derived from the ledger's case events, as an outbox: nothing is
sent that was not first recorded, and each portal's follower saves how far its
deliveries went (eventsourcing's tracking table, name ``case-notices <portal>``, in the
event store with the ledger). After a restart every change not yet delivered is sent,
at least once, in ledger order — hence in order per case. For every event of a case
whose applicant (the portal's department) has a webhook, it POSTs
``{"case_id", "change", "version", "at", "progress"}`` — the progress as
``GET /cases/{id}`` answered right after that change — signed with the portal's secret
(:mod:`hub.adapters.webhooks`). Every attempt, and every send again after a restart,
carries ``X-Hub-Delivery: <case id>.<version>``: the portal drops a duplicate by it.

Each portal has its own follower and its own position, so a portal that is down holds
up only its own notifications. A delivery is tried a bounded number of times with
backoff; one that still fails is recorded as ``CaseNotice.Abandoned`` (what the portal
missed and why) and the follower goes on with the next change: the portal reads
``GET /cases/{id}`` to catch up.

A portal's first follower starts from the ledger's end (a portal given a webhook is not
sent the history before it: it reads ``GET /cases``), saved at once. A follower reads the
case events up to its saved position once when it starts, to know each case's applicant
and progress (its own :class:`CasesModel`, which reads no personal
field); from then on it reads only what was recorded since. The followers run in the one
process of the region that holds the relay lease, like the relay itself.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from eventsourcing.persistence import IntegrityError, Mapper, PersistenceError, Tracking

from hub.adapters.projections.errors import LedgerReadError
from hub.adapters.projections.follower import Follower
from hub.adapters.readmodels.cases import CasesModel
from hub.adapters.store.ledger import Ledger
from hub.adapters.webhooks import WebhookSender
from hub.domain.case_notice import CaseNotice
from hub.service_layer.cases.progress import progress
from hub.work import to_thread

log = structlog.get_logger(__name__)
NOTIFY_EVERY_S = 0.25
SKIP_EVERY_S = 10.0  # how often a position moved only past other events is saved
TRACKING_PREFIX = "case-notices "
_TOPICS = tuple(sorted(CasesModel.topics))


@dataclass(frozen=True)
class Webhook:
    """Where a portal department is notified, and the secret its deliveries are signed with."""

    url: str
    secret: str


@dataclass(frozen=True)
class Retries:
    """How hard each delivery is tried before it is given up."""

    attempts: int
    backoff_s: float


@dataclass(frozen=True)
class Notice:
    """One change to send to a portal, as it will be sent every time."""

    position: int  # the ledger position of the case event
    delivery_id: str
    case_id: str
    version: int
    change: str
    body: bytes


class PortalNotices:
    """One portal's notifications: the case events after its saved position, delivered."""

    def __init__(self, ledger: Ledger, portal: str, hook: Webhook, sender: WebhookSender,
                 stop: asyncio.Event, *, clock: Callable[[], dt.datetime],
                 batch: int = 256) -> None:
        self.portal = portal
        self.name = TRACKING_PREFIX + portal
        self._ledger = ledger
        self._hook = hook
        self._sender = sender
        self._stop = stop
        self._clock = clock
        self._batch = batch
        self._tracking = ledger.factory.tracking_recorder()
        library = ledger.mapper  # no subject cipher: no personal field is read
        self._mapper: Mapper[Any] = Mapper(library.transcoder, library.compressor, library.cipher)
        self.model = CasesModel()
        self.queue: deque[Notice] = deque()
        self.read_to = -1  # the ledger position read up to; -1 until started
        self.saved = 0  # the position saved as delivered up to
        self.delivered = 0
        self.abandoned = 0
        self._skipped_at = 0.0

    async def step(self) -> int:
        """Read what was recorded since the last step, then deliver what is queued."""
        if self.read_to < 0:
            await to_thread(self._start)
        read = await to_thread(self._read)
        while self.queue and not self._stop.is_set():
            if not await self._deliver(self.queue[0]):
                break  # stopping: what is left is sent again after the restart
            self.queue.popleft()
            await to_thread(self._save, self.queue[0].position - 1 if self.queue else self.read_to)
        if (not self.queue and self.read_to > self.saved
                and time.monotonic() - self._skipped_at >= SKIP_EVERY_S):
            # nothing of this portal's since: a restart need not read that stretch again
            await to_thread(self._save, self.read_to)
            self._skipped_at = time.monotonic()
        return read

    def _start(self) -> None:
        """Where this portal's deliveries stand, and the cases as they stood there."""
        try:
            saved = self._tracking.max_tracking_id(self.name)
            if saved is None:  # a portal given a webhook now: its changes from now on
                saved = self._ledger.recorder.max_notification_id() or 0
                self._tracking.insert_tracking(Tracking(self.name, saved))
        except PersistenceError as exc:
            raise LedgerReadError(f"cannot read where {self.name} stands: {exc}") from exc
        self.saved, self.read_to = saved, 0
        while self.read_to < self.saved:
            page = self._page(self.saved)
            for _, topic, event in page:
                self.model.apply(topic, event)
            self.read_to = page[-1][0] if len(page) == self._batch else self.saved
        log.info("case notices started", portal=self.portal, position=self.saved)

    def _read(self) -> int:
        """Apply the new case events; queue a notice of each change of this portal's cases.

        Reads up to the ledger's last position and moves past it (past other events too),
        so the next round never scans them again: an idle round is one indexed lookup."""
        try:
            head = self._ledger.recorder.max_notification_id() or 0
        except PersistenceError as exc:
            raise LedgerReadError(f"{self.name}: cannot read the ledger's end: {exc}") from exc
        if head <= self.read_to:
            return 0
        page = self._page(head)
        for position, topic, event in page:
            self.model.apply(topic, event)
            row = self.model.rows.get(event.originator_id)
            if row is not None and row.applicant == self.portal:
                self.queue.append(self._notice(position, topic, event, progress(row)))
        self.read_to = page[-1][0] if len(page) == self._batch else head
        return len(page)

    def _page(self, stop: int) -> list[tuple[int, str, Any]]:
        try:
            page = self._ledger.recorder.select_notifications(
                start=self.read_to + 1, limit=self._batch, stop=stop, topics=_TOPICS)
            return [(n.id, n.topic, self._mapper.to_domain_event(n)) for n in page]
        except (PersistenceError, ValueError) as exc:
            raise LedgerReadError(
                f"{self.name}: cannot read the ledger after {self.read_to}: {exc}") from exc

    @staticmethod
    def _notice(position: int, topic: str, event: Any, shown: dict[str, Any]) -> Notice:
        case_id, version = str(event.originator_id), event.originator_version
        change = topic.rsplit(":", 1)[-1]
        body = json.dumps({"case_id": case_id, "change": change, "version": version,
                           "at": event.at.isoformat(), "progress": shown}).encode()
        return Notice(position, f"{case_id}.{version}", case_id, version, change, body)

    async def _deliver(self, notice: Notice) -> bool:
        """Send ``notice``; False only when stopped before it was delivered or given up."""
        delivery = await self._sender.post(
            self._hook.url, self._hook.secret, notice.body, event=notice.change,
            delivery_id=notice.delivery_id, stop=self._stop)
        if delivery.delivered:
            self.delivered += 1
            return True
        if delivery.stopped:
            return False
        log.warning("case notification abandoned", case_id=notice.case_id,
                    change=notice.change, portal=self.portal, delivery_id=notice.delivery_id,
                    attempts=delivery.attempts, problem=delivery.problem)
        await to_thread(self._abandon, notice, delivery.attempts, delivery.problem)
        self.abandoned += 1
        return True

    def _abandon(self, notice: Notice, attempts: int, problem: str) -> None:
        record = CaseNotice(delivery_id=notice.delivery_id, portal=self.portal,
                            case_id=notice.case_id, case_version=notice.version,
                            change=notice.change, attempts=attempts, problem=problem,
                            at=self._clock())
        try:
            self._ledger.save(record)
        except IntegrityError:
            pass  # given up before (then sent again after a restart): recorded once

    def _save(self, position: int) -> None:
        if position <= self.saved:
            return
        try:
            self._tracking.insert_tracking(Tracking(self.name, position))
        except IntegrityError:
            # Another holder of the lease went as far first (it sent the same changes).
            position = max(position, self._tracking.max_tracking_id(self.name) or 0)
        self.saved = position


class CaseNotifier:
    """The lease holder's duty: one follower per portal with a webhook."""

    def __init__(self, ledger: Ledger, hooks: Mapping[str, Webhook], retries: Retries, *,
                 clock: Callable[[], dt.datetime], poll_s: float = NOTIFY_EVERY_S) -> None:
        self.ledger = ledger
        self.hooks = dict(hooks)
        self.retries = retries
        self.clock = clock
        self.poll_s = poll_s
        self.portals: dict[str, PortalNotices] = {}

    async def run(self, stop: asyncio.Event) -> None:
        """Notify every portal until ``stop`` is set (each run starts from the saved
        positions: another process may have held the lease in between)."""
        sender = WebhookSender(attempts=self.retries.attempts, backoff_s=self.retries.backoff_s)
        self.portals = {
            portal: PortalNotices(self.ledger, portal, hook, sender, stop, clock=self.clock)
            for portal, hook in self.hooks.items()}
        try:
            await asyncio.gather(*(
                Follower(notices.step, poll_s=self.poll_s, name=notices.name).run(stop)
                for notices in self.portals.values()))
        finally:
            await sender.aclose()
