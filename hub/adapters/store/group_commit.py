"""Group commit: one writer thread records the events of many exchanges in one transaction.

Every step of an exchange ends with a write. Written one by one, each pays a
whole transaction (on SQLite an fsync of the WAL, on PostgreSQL a commit and the
library's table lock that keeps notification ids in order). The writer takes what
callers submitted while its previous commit ran, waits a short window for more
(or until a batch fills; ``HUB_GROUP_COMMIT_WINDOW_MS``, 0.5 ms by default), seals and
maps each caller's events, and inserts them all in ONE transaction.

A batch that fails fails exactly the callers whose events were in it, never
silently: a caller whose events cannot be mapped (e.g. its subject's key store
is unreachable) fails alone before the batch is written; when the batch loses an
optimistic-concurrency race, every caller is written again in a transaction of
its own, so the loser gets its own :class:`ExchangeConflictError` and the others
are recorded.

Callers on the event loop (:meth:`GroupCommitWriter.write`, :meth:`~GroupCommitWriter.
write_soon`) hand their writes over together: what one turn of the loop submitted goes to
the writer as one item, and the writer settles them with one call back into the loop per
batch, not a thread-safe future and a wake-up of the loop per caller.

Durability is the store's: on SQLite the library's WAL journal with SQLite's
default ``synchronous=FULL`` (the WAL is synced at every commit, so an exchange
the relay has published or a client has been answered about is never rolled
back by a power loss); group commit shares that sync between the exchanges of a
batch instead of relaxing it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import IntegrityError, Mapper, StoredEvent

from hub.adapters.store.write_turn import WriteTurn
from hub.domain.errors import ExchangeConflictError

log = structlog.get_logger("hub.adapters.store.group_commit")

Event = DomainEventProtocol[UUID]

WINDOW_S = 0.0005  # how long a batch waits for company once its first write arrived
MAX_BATCH = 256  # callers per transaction


@dataclass
class _Write:
    """One caller's events, and how the caller learns the outcome: a thread-safe future
    (a caller off the loop), or ``waiter``, an asyncio future of ``loop`` settled from the
    writer's thread in one call per batch."""

    events: Sequence[Event]
    future: concurrent.futures.Future[list[int]] | None = None
    waiter: asyncio.Future[list[int]] | None = None
    loop: asyncio.AbstractEventLoop | None = None
    stored: list[StoredEvent] = field(default_factory=list)
    ids: list[int] | None = None
    error: BaseException | None = None

    def claim(self) -> bool:
        """False when the caller gave up before the write began (nothing is written)."""
        if self.future is not None:
            return self.future.set_running_or_notify_cancel()
        return self.waiter is None or not self.waiter.cancelled()

    def settle(self, ids: list[int] | None = None, error: BaseException | None = None) -> None:
        """Record the outcome; a thread-safe future learns it now, a waiter by the loop."""
        self.ids, self.error, self.stored = ids, error, []
        if self.future is not None:
            if error is not None:
                self.future.set_exception(error)
            else:
                self.future.set_result(ids or [])


def _resolve(writes: list[_Write]) -> None:
    """On the loop: hand each waiting caller of a batch its outcome."""
    for write in writes:
        waiter = write.waiter
        if waiter is None or waiter.done():
            continue
        if write.error is not None:
            waiter.set_exception(write.error)
        elif write.ids is not None:
            waiter.set_result(write.ids)
        else:
            waiter.set_exception(RuntimeError("the ledger's writer stopped before this write"))


_STOP = object()


class GroupCommitWriter:
    """Writes submitted events in batches from one thread; safe to call from any thread."""

    def __init__(
        self, mapper: Mapper[UUID], recorder: Any, *, window_s: float = WINDOW_S,
        max_batch: int = MAX_BATCH, turn: WriteTurn | None = None,
    ) -> None:
        self._mapper = mapper
        self._recorder = recorder
        self._turn_lock = turn  # other processes' writers of the same SQLite file
        self._window_s = window_s
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False
        self.batches = 0  # transactions committed (a batch retried one by one counts each)
        # what callers on each loop submitted during the loop's current turn
        self._turn: dict[asyncio.AbstractEventLoop, list[_Write]] = {}

    def submit(self, events: Sequence[Event]) -> concurrent.futures.Future[list[int]]:
        """Queue ``events`` (one caller's, written atomically); the future gives their
        notification ids, or the caller's own error."""
        future: concurrent.futures.Future[list[int]] = concurrent.futures.Future()
        write = _Write(list(events), future=future)
        if self._closed:
            future.set_exception(RuntimeError("the ledger's writer is closed"))
            return future
        self._ensure_started()
        self._queue.put(write)
        return future

    def write_soon(self, events: Sequence[Event]) -> asyncio.Future[list[int]]:
        """From the event loop: queue ``events`` with the others of this turn of the loop;
        the asyncio future gives their notification ids, or the caller's own error."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[list[int]] = loop.create_future()
        if self._closed:
            waiter.set_exception(RuntimeError("the ledger's writer is closed"))
            return waiter
        self._ensure_started()
        turn = self._turn.setdefault(loop, [])
        if not turn:
            loop.call_soon(self._hand_over, loop)
        turn.append(_Write(list(events), waiter=waiter, loop=loop))
        return waiter

    async def write(self, events: Sequence[Event]) -> list[int]:
        """Submit and await, from the event loop (no thread hand-off of the caller's own)."""
        return await self.write_soon(events)

    def _hand_over(self, loop: asyncio.AbstractEventLoop) -> None:
        """At the end of the loop's turn: its writes go to the writer as one item."""
        writes = self._turn.pop(loop, [])
        if not writes:
            return
        if self._closed and self._thread is None:  # closed during this turn: not written
            for write in writes:
                _fail(write, RuntimeError("the ledger's writer is closed"))
            loop.call_soon_threadsafe(_resolve, writes)
            return
        self._queue.put(writes)

    def write_now(self, events: Sequence[Event]) -> list[int]:
        """Submit and wait, from a synchronous caller."""
        return self.submit(events).result()

    def close(self) -> None:
        """Write what was submitted, then stop the thread."""
        with self._start_lock:
            self._closed = True
            thread, self._thread = self._thread, None
        for loop in list(self._turn):  # a turn not handed over yet is written first
            writes = self._turn.pop(loop, [])
            if writes and thread is not None:
                self._queue.put(writes)
        if thread is not None:
            self._queue.put(_STOP)
            thread.join()
        if self._turn_lock is not None:
            self._turn_lock.close()

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(
                    target=self._run, name="ledger-group-commit", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                return
            batch, stopping = self._gather(first)
            try:
                self._commit(batch)
            except BaseException as exc:  # the thread must outlive any one batch
                log.exception("group commit failed unexpectedly")
                for write in batch:
                    if write.ids is None and write.error is None:
                        _fail(write, exc)
            finally:
                _wake_loops(batch)

    def _gather(self, first: _Write | list[_Write]) -> tuple[list[_Write], bool]:
        """The first item's writes and what arrives within the window, up to a full
        batch (a loop's turn is never split)."""
        batch = _writes(first)
        deadline = time.monotonic() + self._window_s
        while len(batch) < self._max_batch:
            remaining = deadline - time.monotonic()
            try:
                item = self._queue.get(timeout=remaining) if remaining > 0 else (
                    self._queue.get_nowait())
            except queue.Empty:
                break
            if item is _STOP:
                return batch, True
            batch.extend(_writes(item))
        return batch, False

    def _commit(self, batch: list[_Write]) -> None:
        staged = [write for write in batch if self._stage(write)]
        try:
            with self._write_turn():
                # Writes queued while another process held the turn join this transaction
                # instead of waiting for a turn of their own (batch keeps them for the wake).
                late = self._late_arrivals(self._max_batch - len(batch))
                batch.extend(late)
                staged.extend(write for write in late if self._stage(write))
                if not staged:
                    return
                ids = self._insert_held([s for write in staged for s in write.stored])
        except IntegrityError:
            if all(self._already_stored(write) for write in staged):
                # The store's own retry after a broken connection re-sent a commit that had
                # gone through: these very events (same bytes) are stored. Not a race.
                log.warning("group commit's outcome was unknown; it had committed",
                            size=len(staged))
                _distribute(staged, [])
                return
            if len(staged) == 1:
                _fail(staged[0], _conflict(staged[0]))
                return
            log.info("group commit lost a race; writing its exchanges one by one",
                     size=len(staged))
            for write in staged:
                self._commit_alone(write)
            return
        except Exception as exc:  # every caller of the batch gets the error
            for write in staged:
                _fail(write, exc)
            return
        _distribute(staged, ids)

    def _commit_alone(self, write: _Write) -> None:
        try:
            ids = self._insert(write.stored)
        except IntegrityError:
            _fail(write, _conflict(write))
        except Exception as exc:  # the caller gets the error
            _fail(write, exc)
        else:
            _distribute([write], ids)

    def _already_stored(self, write: _Write) -> bool:
        """Whether ``write``'s events are in the store byte for byte (its first and last:
        one transaction stores all or none). A concurrent writer's events of the same
        versions differ, if only in their sealed fields' nonces."""
        for event in {id(e): e for e in (write.stored[0], write.stored[-1])}.values():
            try:
                found = self._recorder.select_events(
                    event.originator_id, gt=event.originator_version - 1,
                    lte=event.originator_version)
            except Exception:  # cannot tell: a conflict, as before
                return False
            if len(found) != 1 or (found[0].topic, found[0].state) != (event.topic, event.state):
                return False
        return True

    def _stage(self, write: _Write) -> bool:
        """Map (and seal) one caller's events; a failure fails that caller alone."""
        if not write.claim():
            return False
        try:
            write.stored = [self._mapper.to_stored_event(e) for e in write.events]
        except Exception as exc:  # the caller gets the error
            _fail(write, exc)
            return False
        write.events = ()  # personal data is sealed now; the plain copy is not kept
        return True

    def _late_arrivals(self, room: int) -> list[_Write]:
        """With other processes writing the same file: what callers queued meanwhile, up to
        ``room`` writes (a loop's turn is never split)."""
        late: list[_Write] = []
        while self._turn_lock is not None and len(late) < room:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                self._queue.put(_STOP)  # close() stops the thread after this batch
                break
            late.extend(_writes(item))
        return late

    def _write_turn(self) -> contextlib.AbstractContextManager[None]:
        return self._turn_lock.taken() if self._turn_lock else contextlib.nullcontext()

    def _insert(self, stored: list[StoredEvent]) -> list[int]:
        with self._write_turn():
            return self._insert_held(stored)

    def _insert_held(self, stored: list[StoredEvent]) -> list[int]:
        self.batches += 1
        return list(self._recorder.insert_events(stored) or [])


def _conflict(write: _Write) -> ExchangeConflictError:
    originator = write.stored[0].originator_id if write.stored else "?"
    return ExchangeConflictError(originator)


def _fail(write: _Write, exc: BaseException) -> None:
    write.settle(error=exc)


def _distribute(staged: list[_Write], ids: list[int]) -> None:
    """Hand each caller the notification ids of its own events (in insertion order)."""
    offset = 0
    for write in staged:
        count = len(write.stored)
        write.settle(ids[offset:offset + count] if ids else [])
        offset += count


def _writes(item: _Write | list[_Write]) -> list[_Write]:
    return list(item) if isinstance(item, list) else [item]


def _wake_loops(batch: list[_Write]) -> None:
    """One call into each loop whose callers wrote in ``batch``."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Write]] = {}
    for write in batch:
        if write.loop is not None:
            by_loop.setdefault(write.loop, []).append(write)
    for loop, writes in by_loop.items():
        if not loop.is_closed():
            loop.call_soon_threadsafe(_resolve, writes)
