"""The projection runner: applies the ledger's notification log to read models, page by page.

Each page of the log is read and decoded once, then handed to every
projection that has not yet applied it; the projections apply their shares and
advance their tracking positions in one transaction of the read store. A
position moves by compare-and-set, so two runners (the hub's follower and an
operator's ``replay``, or two hub workers) can follow the same store: one
wins each page, the other rolls back and re-reads where things stand.

Events are decoded with the library's mapper, not the ledger's subject cipher
(:mod:`hub.adapters.crypto.mapper`): no projection reads a personal field, so sealed
fields stay sealed — no key lookups, and the read side never holds personal data.

eventsourcing's own ``ProjectionRunner`` needs a recorder that can push
(``subscribe``), which the SQLite recorder of 9.5 cannot, and runs one
transaction per event; hence this small synchronous runner. Async callers
run it in a thread (see :mod:`hub.adapters.projections.follower`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.persistence import Mapper, Notification, PersistenceError

from hub.adapters.projections import positions
from hub.adapters.projections.base import Event, EventHeader, Projection
from hub.adapters.projections.errors import LedgerReadError
from hub.adapters.projections.store import ReadStore
from hub.adapters.store.ledger import Ledger

COMMIT_SKEW = dt.timedelta(seconds=60)
"""Events are stamped just before their transaction commits, so the log is in time order
only to within a commit; an as-of build reads this far past its moment before it stops."""

PageCallback = Callable[[int, int], None]
"""Called after each page with (ledger position reached, notifications read)."""


class ProjectionRunner:
    """Keeps a set of projections in one read store up to date with the ledger."""

    def __init__(
        self,
        ledger: Ledger,
        store: ReadStore,
        projections: Sequence[Projection],
        *,
        batch: int = 1000,
    ) -> None:
        self.ledger = ledger
        self.store = store
        self.projections = list(projections)
        self._batch = batch
        self._topics = tuple(sorted(set().union(*(p.topics for p in self.projections))))
        self._body_topics = frozenset().union(
            *(p.topics - p.header_topics for p in self.projections)
        )
        library = ledger.mapper
        self._mapper: Mapper[Any] = Mapper(library.transcoder, library.compressor, library.cipher)

    def prepare(self) -> list[str]:
        """Create missing tables; rebuild from scratch any projection whose version changed."""
        reset: list[str] = []
        with self.store.transaction() as tx:
            positions.create(tx)
            known = positions.read_all(tx)
            for projection in self.projections:
                stored = known.get(projection.name)
                if stored is not None and stored.version != projection.version:
                    projection.drop(tx)
                projection.create(tx)
                projection.create_indexes(tx)
                if stored is None or stored.version != projection.version:
                    positions.reset(tx, projection.name, projection.version)
                    reset.append(projection.name)
        return reset

    def positions(self) -> dict[str, int]:
        """Each projection's tracked ledger position (0: nothing applied yet)."""
        with self.store.transaction(write=False) as tx:
            known = positions.read_all(tx)
        return {p.name: known[p.name].position if p.name in known else 0 for p in self.projections}

    def rebuild(
        self, *, until: dt.datetime | None = None, on_page: PageCallback | None = None
    ) -> int:
        """Drop and rebuild every projection from the start of the ledger (up to ``until``).

        Secondary indexes are built once at the end (if this is interrupted, the next
        :meth:`prepare` builds them).
        """
        with self.store.transaction() as tx:
            positions.create(tx)
            for projection in self.projections:
                projection.drop(tx)
                projection.create(tx)
                positions.reset(tx, projection.name, projection.version, as_of=until)
        read = self.catch_up(until=until, on_page=on_page)
        with self.store.transaction() as tx:
            for projection in self.projections:
                projection.create_indexes(tx)
        return read

    def catch_up(
        self, *, until: dt.datetime | None = None, on_page: PageCallback | None = None
    ) -> int:
        """Apply everything recorded since each projection's position; returns events read.

        With ``until``, only events stamped at or before it are applied (an as-of view).
        """
        at = self.positions()
        head = None if until is not None else self._head()
        read = 0
        while True:
            if head is not None and min(at.values()) >= head:
                return read  # idle: nothing recorded since the last round, nothing read
            page = self._page(min(at.values()) + 1, head)
            if not page:
                if head is not None:
                    self._skip_to(at, head)
                return read
            decoded, last, finished = self._decode(page, until)
            try:
                self._apply_page(at, decoded, last)
            except _Overtaken:
                at = self.positions()  # another runner got there first: go on from there
                continue
            read += len(page)
            if on_page is not None:
                on_page(last, len(page))
            if finished:
                return read

    def _head(self) -> int:
        """The ledger's last position now (the end of this catch-up)."""
        try:
            return self.ledger.recorder.max_notification_id() or 0
        except PersistenceError as exc:
            raise LedgerReadError(f"cannot read the ledger's last position: {exc}") from exc

    def _page(self, start: int, stop: int | None) -> Sequence[Notification]:
        try:
            return self.ledger.recorder.select_notifications(
                start=start, limit=self._batch, stop=stop, topics=self._topics
            )
        except PersistenceError as exc:
            raise LedgerReadError(f"cannot read the ledger from position {start}: {exc}") from exc

    def _skip_to(self, at: dict[str, int], head: int) -> None:
        """Move positions past events none of the projections reads (up to ``head``).

        Without this a position would stay at the last event a projection read, and
        every round would scan again everything recorded since that it does not read.
        """
        behind = [p for p in self.projections if at[p.name] < head]
        if not behind:
            return
        try:
            with self.store.transaction() as tx:
                for projection in behind:
                    if not positions.claim(tx, projection.name, at[projection.name], head):
                        raise _Overtaken
        except _Overtaken:
            return  # another runner moved on first; the next round starts from where it is
        for projection in behind:
            at[projection.name] = head

    def _decode(
        self, page: Sequence[Notification], until: dt.datetime | None
    ) -> tuple[list[tuple[int, str, Event]], int, bool]:
        """Decode a page once for every projection; stop well past ``until``.

        Events no projection needs more than the header of are not decoded at all.
        """
        to_event = self._mapper.to_domain_event
        bodies = self._body_topics
        decoded: list[tuple[int, str, Event]] = []
        for notification in page:
            if until is None and notification.topic not in bodies:
                header = EventHeader(
                    notification.originator_id, notification.originator_version, notification.topic
                )
                decoded.append((notification.id, notification.topic, header))
                continue
            try:
                event: Any = to_event(notification)
            except (PersistenceError, ValueError) as exc:
                raise LedgerReadError(
                    f"cannot decode ledger position {notification.id} "
                    f"({notification.topic}): {exc}"
                ) from exc
            if until is not None and event.timestamp > until:
                if event.timestamp > until + COMMIT_SKEW:
                    return decoded, notification.id - 1, True
                continue
            decoded.append((notification.id, notification.topic, event))
        return decoded, page[-1].id, False

    def _apply_page(
        self, at: dict[str, int], decoded: list[tuple[int, str, Event]], last: int
    ) -> None:
        """Apply one page to every projection behind ``last``, in one transaction."""
        behind = [p for p in self.projections if at[p.name] < last]
        with self.store.transaction() as tx:
            for projection in behind:
                since = at[projection.name]
                if not positions.claim(tx, projection.name, since, last):
                    raise _Overtaken
                topics = projection.topics
                projection.apply(
                    tx, [e for pos, topic, e in decoded if pos > since and topic in topics]
                )
        for projection in behind:
            at[projection.name] = last


class _Overtaken(Exception):
    """Another runner advanced a position first; raised to roll the page back."""
