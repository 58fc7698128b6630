"""One event store suite, run against every back end the hub can be configured with.

The recorders are the ones the ledger builds from ``HUB_STORE`` through
:func:`hub.adapters.store.selection.store_environment` (SQLite file, PostgreSQL
database), reached through the ledger as the hub reaches them. What the hub relies
on: appends are atomic and versioned (a second writer of one version loses), the
notification log is read in order page by page without skipping what a concurrent
writer commits, and tracked positions only move forward and survive a restart.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError, Notification, StoredEvent, Tracking

from hub.adapters.store.ledger import Ledger
from hub.bootstrap.privacy import build_ledger
from hub.service_layer.exchanges.relay import RELAY_NAME
from hub.settings import HubSettings

TOPIC = "tests.ports:Happened"

OpenLedger = Callable[[], Ledger]


@pytest.fixture
def open_ledger(store_url: str | None, tmp_path: Path) -> Iterator[OpenLedger]:
    """Opens ledgers over ONE store (several hub processes of a region); closes them all."""
    opened: list[Ledger] = []

    def opener() -> Ledger:
        opened.append(build_ledger(HubSettings(data=tmp_path, store=store_url)))
        return opened[-1]

    yield opener
    for ledger in opened:
        ledger.close()


def _event(aggregate: UUID, version: int, body: str = "") -> StoredEvent:
    return StoredEvent(aggregate, version, TOPIC, f"{aggregate}/{version}/{body}".encode())


def _positions(page: list[Notification]) -> list[tuple[UUID, int]]:
    return [(UUID(str(n.originator_id)), n.originator_version) for n in page]


def test_appended_events_read_back_whole_and_in_version_order(open_ledger: OpenLedger) -> None:
    """An append returns the events' log positions; an aggregate's events come back with
    their bytes intact, in version order, and the range, order and limit options hold."""
    recorder = open_ledger().recorder
    one, other = uuid4(), uuid4()
    assert recorder.select_events(one) == []
    first = recorder.insert_events([_event(one, v, "é\x00") for v in (1, 2, 3)])
    second = recorder.insert_events([_event(other, 1)])
    assert list(first or []) == [1, 2, 3] and list(second or []) == [4]
    events = recorder.select_events(one)
    assert events == [_event(one, v, "é\x00") for v in (1, 2, 3)]
    assert [e.originator_version for e in recorder.select_events(one, gt=1)] == [2, 3]
    assert [e.originator_version for e in recorder.select_events(one, lte=2)] == [1, 2]
    assert [e.originator_version for e in recorder.select_events(one, desc=True, limit=2)
            ] == [3, 2]
    assert recorder.max_notification_id() == 4


def test_an_append_that_conflicts_stores_nothing(open_ledger: OpenLedger) -> None:
    """Optimistic concurrency: appending a version that exists fails, and the rest of
    that append (another aggregate's event included) is not stored either."""
    recorder = open_ledger().recorder
    taken, innocent = uuid4(), uuid4()
    recorder.insert_events([_event(taken, 1)])
    with pytest.raises(IntegrityError):
        recorder.insert_events([_event(innocent, 1), _event(taken, 1, "again")])
    assert recorder.select_events(innocent) == []
    assert recorder.select_events(taken) == [_event(taken, 1)]
    assert _positions(list(recorder.select_notifications(1, 10))) == [(taken, 1)]
    recorder.insert_events([_event(innocent, 1)])  # the store is usable after the conflict
    assert _positions(list(recorder.select_notifications(1, 10)))[-1] == (innocent, 1)


def test_two_writers_racing_for_one_version_exactly_one_wins(open_ledger: OpenLedger) -> None:
    """Two hub processes (two ledgers over one store) append version 2 of one aggregate at
    the same moment: one append is stored, the other fails with a conflict."""
    writers = [open_ledger().recorder, open_ledger().recorder]
    aggregate = uuid4()
    writers[0].insert_events([_event(aggregate, 1)])
    start = threading.Barrier(len(writers))
    outcomes: dict[int, str] = {}

    def append(index: int) -> None:
        start.wait()
        try:
            writers[index].insert_events([_event(aggregate, 2, f"writer-{index}")])
            outcomes[index] = "stored"
        except IntegrityError:
            outcomes[index] = "conflict"

    threads = [threading.Thread(target=append, args=(i,)) for i in range(len(writers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes.values()) == ["conflict", "stored"], outcomes
    [winner] = [i for i, outcome in outcomes.items() if outcome == "stored"]
    assert writers[1 - winner].select_events(aggregate)[-1] == _event(
        aggregate, 2, f"writer-{winner}")


def test_the_notification_log_pages_in_order(open_ledger: OpenLedger) -> None:
    """Pages of the log, read from any position, join into the whole log in append order;
    ``inclusive_of_start``, ``stop`` and ``topics`` narrow a page as documented."""
    recorder = open_ledger().recorder
    appended = []
    for _ in range(23):
        aggregate = uuid4()
        recorder.insert_events([_event(aggregate, 1), _event(aggregate, 2)])
        appended += [(aggregate, 1), (aggregate, 2)]
    whole = list(recorder.select_notifications(1, 1000))
    assert _positions(whole) == appended
    ids = [n.id for n in whole]
    assert ids == sorted(set(ids)) and recorder.max_notification_id() == ids[-1]
    paged: list[Notification] = []
    start = 1
    while page := list(recorder.select_notifications(start, 10)):
        assert len(page) <= 10
        paged += page
        start = page[-1].id + 1
    assert paged == whole
    assert [n.id for n in recorder.select_notifications(ids[4], 3, inclusive_of_start=False)
            ] == ids[5:8]
    assert [n.id for n in recorder.select_notifications(ids[0], 100, stop=ids[2])] == ids[:3]
    assert recorder.select_notifications(1, 10, topics=["tests.ports:Other"]) == []
    assert len(recorder.select_notifications(1, 100, topics=[TOPIC])) == 46


def test_a_follower_misses_nothing_that_concurrent_writers_commit(
    open_ledger: OpenLedger,
) -> None:
    """Four writers in two processes append while a follower reads the log page after
    page from where it stopped (as the outbox relay does): it sees every event exactly
    once, in log order. A log whose later positions became visible before earlier ones
    would make the follower skip those."""
    writers = [open_ledger().recorder for _ in range(2)]
    follower = open_ledger().recorder
    per_thread, threads_per_writer = 40, 2
    done = threading.Event()
    seen: list[Notification] = []

    def write(recorder: object) -> None:
        for _ in range(per_thread):
            recorder.insert_events([_event(uuid4(), 1)])  # type: ignore[attr-defined]

    def follow() -> None:
        position = 0
        while True:
            finished = done.is_set()  # read before the page: a last pass after the writers
            page = list(follower.select_notifications(position + 1, 7))
            seen.extend(page)
            if page:
                position = page[-1].id
            elif finished:
                return

    threads = [threading.Thread(target=write, args=(w,))
               for w in writers for _ in range(threads_per_writer)]
    reader = threading.Thread(target=follow)
    reader.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    done.set()
    reader.join(60)
    total = len(writers) * threads_per_writer * per_thread
    whole = list(follower.select_notifications(1, total + 10))
    assert len(whole) == total
    assert [n.id for n in seen] == [n.id for n in whole]


def test_tracked_positions_move_forward_only_per_name(open_ledger: OpenLedger) -> None:
    """A tracked position is kept per name; recording one not beyond it is refused, so a
    relay that lost a race cannot move another's position back."""
    tracking = open_ledger().factory.tracking_recorder()
    assert tracking.max_tracking_id(RELAY_NAME) is None
    assert tracking.has_tracking_id(RELAY_NAME, None)
    tracking.insert_tracking(Tracking(RELAY_NAME, 3))
    tracking.insert_tracking(Tracking(RELAY_NAME, 5))
    tracking.insert_tracking(Tracking("projections", 1))
    for stale in (5, 4):
        with pytest.raises(IntegrityError):
            tracking.insert_tracking(Tracking(RELAY_NAME, stale))
    assert tracking.max_tracking_id(RELAY_NAME) == 5
    assert tracking.max_tracking_id("projections") == 1
    assert tracking.has_tracking_id(RELAY_NAME, 5)
    assert not tracking.has_tracking_id(RELAY_NAME, 6)


def test_tracked_position_and_events_survive_reopening(
    store_url: str | None, tmp_path: Path
) -> None:
    """The relay's tracked position is stored with the events and read back after a restart."""
    aggregate = uuid4()
    first = build_ledger(HubSettings(data=tmp_path, store=store_url))
    first.recorder.insert_events([_event(aggregate, v) for v in (1, 2, 3)])
    first.factory.tracking_recorder().insert_tracking(Tracking(RELAY_NAME, 3))
    first.close()
    second = build_ledger(HubSettings(data=tmp_path, store=store_url))
    try:
        assert second.factory.tracking_recorder().max_tracking_id(RELAY_NAME) == 3
        assert _positions(list(second.recorder.select_notifications(1, 10))) == [
            (aggregate, v) for v in (1, 2, 3)]
    finally:
        second.close()
