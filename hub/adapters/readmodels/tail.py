"""Reading the ledger's notification log onward from a position kept in memory.

A :class:`LedgerTail` remembers how far it has read and, on each
:meth:`LedgerTail.read`, asks the ledger for its last position first: when
nothing was recorded since, that one indexed lookup is the whole round. When
something was, it reads only the new notifications of its topics, and then
moves its position to the ledger's last one (past the events of other topics
too), so later rounds never scan them again. Work per round is proportional to
what was recorded since the last round, never to the ledger's history.

Events are decoded with the library's mapper, not the ledger's subject cipher:
a read model reads no personal field, so sealed fields stay sealed and no key
is looked up.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from eventsourcing.persistence import Mapper, PersistenceError

from hub.adapters.projections.errors import LedgerReadError
from hub.adapters.store.ledger import Ledger

Apply = Callable[[str, Any], None]
"""Called with (topic, decoded event) for every new event of the tail's topics, in order."""


class LedgerTail:
    """The new events of some topics since the last read (not thread-safe: lock around it)."""

    def __init__(self, ledger: Ledger, topics: Collection[str], *, batch: int = 1000) -> None:
        self._recorder = ledger.recorder
        self._topics = tuple(sorted(topics))
        self._batch = batch
        library = ledger.mapper
        self._mapper: Mapper[Any] = Mapper(library.transcoder, library.compressor, library.cipher)
        self.position = 0  # the ledger position read up to
        self.notifications_read = 0  # since start: what the rounds cost, for tests and metrics

    def read(self, apply: Apply) -> int:
        """Hand every event recorded since the last read to ``apply``; returns how many."""
        head = self._head()
        read = 0
        while self.position < head:
            page = self._page(self.position + 1, head)
            for notification in page:
                apply(notification.topic, self._decode(notification))
            read += len(page)
            self.notifications_read += len(page)
            self.position = page[-1].id if len(page) == self._batch else head
        return read

    def _head(self) -> int:
        try:
            return self._recorder.max_notification_id() or 0
        except PersistenceError as exc:
            raise LedgerReadError(f"cannot read the ledger's last position: {exc}") from exc

    def _page(self, start: int, stop: int) -> list[Any]:
        try:
            return list(self._recorder.select_notifications(
                start=start, limit=self._batch, stop=stop, topics=self._topics))
        except PersistenceError as exc:
            raise LedgerReadError(f"cannot read the ledger from position {start}: {exc}") from exc

    def _decode(self, notification: Any) -> Any:
        try:
            return self._mapper.to_domain_event(notification)
        except (PersistenceError, ValueError) as exc:
            raise LedgerReadError(
                f"cannot decode ledger position {notification.id} ({notification.topic}): {exc}"
            ) from exc
