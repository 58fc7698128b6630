"""Following the federation application's own notification log, a page at a time.

The recognition path needs two facts for every attestation: the agreements in
force, and whether this region has seen the record before. Asking the store
per attestation costs a read transaction each; instead a :class:`LogFollower`
reads, once per batch, the notifications recorded since its last look (a range
of the log, by position) and hands each to the handler of its topic. It
follows the store, not this process: what another worker recorded is seen at
the next refresh.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Notification

from hub.domain.originator import originator_uuid

_PAGE = 1000

Handler = Callable[[Notification], None]


class LogFollower:
    """Reads new notifications of chosen topics and passes each to its handler."""

    def __init__(self, app: Application[UUID]) -> None:
        self._app = app
        self._position = 0
        self._handlers: dict[str, Handler] = {}

    def on(self, topics: tuple[str, ...], handler: Handler) -> None:
        """Call ``handler`` with every notification of one of ``topics`` from now on."""
        for topic in topics:
            self._handlers[topic] = handler

    def refresh(self) -> None:
        """Handle everything recorded since the last refresh."""
        recorder = self._app.recorder
        top = recorder.max_notification_id() or 0
        if top <= self._position or not self._handlers:
            self._position = max(self._position, top)
            return
        topics = tuple(self._handlers)
        start = self._position + 1
        while True:
            page = recorder.select_notifications(start, _PAGE, stop=top, topics=topics)
            for notification in page:
                self._handlers[notification.topic](notification)
            if len(page) < _PAGE:
                break
            start = page[-1].id + 1
        self._position = top

    def recorded(self, notifications: Sequence[Notification]) -> None:
        """Handle what this process has just recorded, if it comes right after the position.

        Reading back a batch just written costs as much as a tenth of the batch. When the
        notifications follow the last one handled, nobody recorded anything in between,
        so handling them here is what the next refresh would do; from the first gap on,
        the next refresh reads the store as usual.
        """
        for notification in notifications:
            if notification.id != self._position + 1:
                return
            handler = self._handlers.get(notification.topic)
            if handler is not None:
                handler(notification)
            self._position = notification.id


class KnownIds:
    """The ids of every aggregate created by one of some creation topics (e.g. recognitions).

    Lets the recognition path skip the store read for a record never seen here,
    which is almost every record. Memory: one UUID per recognition ever opened.
    """

    def __init__(self) -> None:
        self._ids: set[UUID] = set()

    def add(self, notification: Notification) -> None:
        self._ids.add(originator_uuid(notification.originator_id))

    def may_exist(self, aggregate_id: UUID) -> bool:
        """False only when the id was certainly never created (as of the last refresh)."""
        return aggregate_id in self._ids
