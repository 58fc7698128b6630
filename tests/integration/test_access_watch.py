"""The access watch judges access by the events' own time, per credential and service.

Each test feeds exchange events stamped at chosen moments to the projection over a
real read store, on each back end (a SQLite file, PostgreSQL); a small sink
implementing the watch's port collects what it hands on.
test_access_watch_offenders.py drives the same projection through a real hub.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from hub.adapters.projections.access_watch import AccessWatch
from hub.adapters.projections.base import Event
from hub.adapters.projections.store import ReadStore, open_read_store
from hub.domain.access_anomaly import (
    OUTSIDE_SERVICE_HOURS,
    REFUSAL_BURST,
    SUBJECT_MANY_DEPARTMENTS,
    SUBJECTS_ABOVE_BASELINE,
    Evidence,
)
from hub.domain.exchange import Exchange
from hub.domain.watch_policy import WatchPolicy, parse_watch

SERVICE = "north/social-security/contribution-history"
CLERK = uuid.UUID(int=1).hex  # the curious employee's credential
MONDAY = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # a Monday, 09:00 UTC


class Sink:
    """Collects what the watch hands on (the watch's port, as the hub's recorder implements it)."""

    def __init__(self) -> None:
        self.found: list[tuple[Evidence, bool]] = []

    def raise_anomaly(self, evidence: Evidence, *, suspend: bool) -> str:
        self.found.append((evidence, suspend))
        return "suspend" if suspend else "alarm"

    def kinds(self) -> list[str]:
        return [e.kind for e, _ in self.found]


@pytest.fixture
def store(store_url: str | None, tmp_path: Path) -> Iterator[ReadStore]:
    store = open_read_store(store_url, tmp_path)
    yield store
    store.close()


def _watch(store: ReadStore, sink: Sink, policy: WatchPolicy | None = None) -> AccessWatch:
    watch = AccessWatch({SERVICE: policy or WatchPolicy()}, sink)
    with store.transaction() as tx:
        watch.create(tx)
        watch.create_indexes(tx)
    return watch


def _received(at: dt.datetime, *, credential: str = CLERK, client: str = "north/tax",
              service: str = SERVICE, ingress: str = "json"
              ) -> tuple[uuid.UUID, Exchange.Received]:
    exchange_id = uuid.uuid4()
    return exchange_id, Exchange.Received(  # type: ignore[call-arg]
        originator_id=exchange_id, originator_version=1, timestamp=at,
        originator_topic=Exchange.TOPIC, client=client, service=service, correlation_id="c",
        ingress=ingress, payload_digest="sha256:00", payload_size=1, reply_to="",
        credential=credential)


def access(at: dt.datetime, subject: str, **who: Any) -> list[Event]:
    """An accepted query about ``subject``: Received + Translated."""
    exchange_id, received = _received(at, **who)
    translated = Exchange.Translated(  # type: ignore[call-arg]
        originator_id=exchange_id, originator_version=2, timestamp=at, contract="q@1.0",
        document={}, digest="sha256:11", data_subject=subject, purpose="", retention="")
    return [received, translated]


def refusal(at: dt.datetime, **who: Any) -> list[Event]:
    """A refused query: Received + Rejected."""
    exchange_id, received = _received(at, **who)
    rejected = Exchange.Rejected(  # type: ignore[call-arg]
        originator_id=exchange_id, originator_version=2, timestamp=at, code="consent-required",
        message="no consent", issues=[])
    return [received, rejected]


def apply(store: ReadStore, watch: AccessWatch, events: Sequence[Event]) -> None:
    with store.transaction() as tx:
        watch.apply(tx, events)


def rows(store: ReadStore, table: str) -> int:
    with store.transaction(write=False) as tx:
        return int(tx.query(f"SELECT COUNT(*) FROM {table}")[0][0])  # noqa: S608


def hour_of(start: dt.datetime, n: int, subjects: Sequence[str], **who: Any) -> list[Event]:
    """Lookups of ``subjects`` spread over hour ``n`` after ``start``."""
    events: list[Event] = []
    for i, subject in enumerate(subjects):
        events += access(start + dt.timedelta(hours=n, seconds=i), subject, **who)
    return events


def test_a_curious_employee_breaches_the_floor_once(store: ReadStore) -> None:
    """A credential that saw three people an hour for a working day, then 60 in one hour,
    raises one anomaly at the 51st distinct person, with a sample of subject refs."""
    sink = Sink()
    watch = _watch(store, sink)
    for n in range(8):
        apply(store, watch, hour_of(MONDAY, n, [f"ref-{n}-{i}" for i in range(3)]))
    assert sink.found == []
    apply(store, watch, hour_of(MONDAY, 8, [f"neighbour-{i:02}" for i in range(60)]))
    [(evidence, suspend)] = sink.found
    assert evidence.kind == SUBJECTS_ABOVE_BASELINE
    assert (evidence.credential, evidence.count, evidence.threshold) == (CLERK, 51, 50)
    assert evidence.window_start == (MONDAY + dt.timedelta(hours=8)).isoformat()
    assert len(evidence.sample) == 10 and all(s.startswith("neighbour-") for s in evidence.sample)
    assert suspend is False  # the default policy only raises the alarm


def test_the_same_person_twice_counts_once(store: ReadStore) -> None:
    """Looking one person up 80 times in an hour is not 80 people."""
    sink = Sink()
    watch = _watch(store, sink)
    apply(store, watch, hour_of(MONDAY, 0, ["ref-1"] * 80))
    assert sink.found == []


def test_issuing_records_is_not_looking_people_up(store: ReadStore) -> None:
    """A department issuing 200 people's records in an hour (notifications) raises nothing."""
    sink = Sink()
    watch = _watch(store, sink)
    apply(store, watch, hour_of(MONDAY, 0, [f"r-{i}" for i in range(200)],
                                ingress="notification"))
    assert sink.found == [] and rows(store, "watch_baselines") == 0


def test_a_busy_desk_learns_its_baseline(store: ReadStore) -> None:
    """A credential that sees ~100 people every hour is not alarmed at 150 (threshold:
    4 x baseline), but is at five times its habit."""
    sink = Sink()
    watch = _watch(store, sink, WatchPolicy(subjects_floor=120))
    for n in range(10):
        apply(store, watch, hour_of(MONDAY, n, [f"r{n}-{i}" for i in range(100)]))
    assert sink.kinds() == []
    apply(store, watch, hour_of(MONDAY, 10, [f"x-{i}" for i in range(150)]))
    assert sink.kinds() == []
    apply(store, watch, hour_of(MONDAY, 11, [f"y-{i}" for i in range(500)]))
    [(evidence, _)] = sink.found
    assert evidence.kind == SUBJECTS_ABOVE_BASELINE
    assert 350 < evidence.threshold < 500 and evidence.count == evidence.threshold + 1


def test_an_alarmed_hour_is_not_learnt(store: ReadStore) -> None:
    """An offender cannot teach the baseline its habit: after an alarmed hour of 200, the
    next hour of 200 alarms again."""
    sink = Sink()
    watch = _watch(store, sink)
    apply(store, watch, hour_of(MONDAY, 0, [f"a-{i}" for i in range(200)]))
    apply(store, watch, hour_of(MONDAY, 1, [f"b-{i}" for i in range(200)]))
    assert sink.kinds() == [SUBJECTS_ABOVE_BASELINE, SUBJECTS_ABOVE_BASELINE]
    assert [e.threshold for e, _ in sink.found] == [50, 50]


def test_a_burst_of_refusals_raises_once_per_window(store: ReadStore) -> None:
    """21 refusals within five minutes breach; more in the same window add nothing; a new
    burst after the window raises again. The sample names exchanges, not people."""
    sink = Sink()
    watch = _watch(store, sink, WatchPolicy(suspend=True))
    burst = [e for i in range(30) for e in refusal(MONDAY + dt.timedelta(seconds=5 * i))]
    apply(store, watch, burst)
    [(evidence, suspend)] = sink.found
    assert (evidence.kind, evidence.count, evidence.threshold) == (REFUSAL_BURST, 21, 20)
    assert evidence.window_start == MONDAY.isoformat() and suspend is True
    uuid.UUID(evidence.sample[0])  # an exchange id
    later = MONDAY + dt.timedelta(hours=1)
    apply(store, watch, [e for i in range(21) for e in refusal(later + dt.timedelta(seconds=i))])
    assert sink.kinds() == [REFUSAL_BURST, REFUSAL_BURST]


def test_refusals_spread_out_are_normal(store: ReadStore) -> None:
    """A refusal a minute is a desk's ordinary mistakes, not a burst."""
    sink = Sink()
    watch = _watch(store, sink)
    apply(store, watch, [e for i in range(120) for e in refusal(MONDAY + dt.timedelta(minutes=i))])
    assert sink.found == []
    assert rows(store, "watch_refusals") <= 6  # the window holds only the last five minutes


def test_access_outside_declared_hours(store: ReadStore) -> None:
    """A service open 07:00-19:00 on weekdays (Madrid time): a lookup at 22:30 on Monday
    and one on Saturday morning raise; three lookups in one night hour raise once."""
    sink = Sink()
    policy = parse_watch({"hours": "07:00-19:00", "days": "mon-fri",
                          "timezone": "Europe/Madrid"}, where="services.toml: service x")
    watch = _watch(store, sink, policy)
    night = dt.datetime(2026, 3, 2, 21, 30, tzinfo=dt.UTC)  # 22:30 in Madrid
    saturday = dt.datetime(2026, 3, 7, 9, 0, tzinfo=dt.UTC)
    apply(store, watch, access(MONDAY, "ref-a") + access(night, "ref-b")
          + access(night + dt.timedelta(minutes=5), "ref-c")
          + access(night + dt.timedelta(minutes=9), "ref-d") + access(saturday, "ref-e"))
    assert sink.kinds() == [OUTSIDE_SERVICE_HOURS, OUTSIDE_SERVICE_HOURS]
    assert "07:00-19:00 mon,tue,wed,thu,fri Europe/Madrid" in sink.found[0][0].detail


def test_one_person_looked_up_by_many_departments(store: ReadStore) -> None:
    """Four departments on one person within 15 minutes breach (more than three); the
    evidence names the person's reference and the departments; nobody is suspended."""
    sink = Sink()
    watch = _watch(store, sink, WatchPolicy(suspend=True))
    events: list[Event] = []
    for i, dept in enumerate(["tax", "vehicles", "housing", "police", "health"]):
        events += access(MONDAY + dt.timedelta(minutes=2 * i), "ref-famous",
                         client=f"north/{dept}", credential=uuid.UUID(int=10 + i).hex)
    apply(store, watch, events)
    [(evidence, suspend)] = sink.found
    assert evidence.kind == SUBJECT_MANY_DEPARTMENTS and evidence.subject == "ref-famous"
    assert evidence.sample == ("north/tax", "north/vehicles", "north/housing", "north/police")
    assert (evidence.count, evidence.threshold, suspend) == (4, 3, False)


def test_lookups_far_apart_are_normal(store: ReadStore) -> None:
    """Departments that look one person up an hour apart are a case moving along."""
    sink = Sink()
    watch = _watch(store, sink)
    events: list[Event] = []
    for i, dept in enumerate(["tax", "vehicles", "housing", "police", "health"]):
        events += access(MONDAY + dt.timedelta(hours=i), "ref-1", client=f"north/{dept}")
    apply(store, watch, events)
    assert sink.found == []


def test_an_outcome_in_a_later_page_still_counts(store: ReadStore) -> None:
    """A Received at the end of one page and its Rejected in the next are joined."""
    sink = Sink()
    watch = _watch(store, sink, WatchPolicy(refusals_max=1))
    first, second = refusal(MONDAY), refusal(MONDAY + dt.timedelta(seconds=1))
    apply(store, watch, [first[0]])
    assert rows(store, "watch_arrivals") == 1
    apply(store, watch, [first[1], *second])
    assert sink.kinds() == [REFUSAL_BURST]
    assert rows(store, "watch_arrivals") == 0


def test_a_replay_finds_the_same_evidence(store: ReadStore) -> None:
    """Rebuilt from the same history, the watch finds evidence with the same ids: the
    recorder (keyed by them) records each anomaly once."""
    history = [e for i in range(25) for e in refusal(MONDAY + dt.timedelta(seconds=i))]
    history += hour_of(MONDAY, 1, [f"n-{i}" for i in range(60)])
    found = []
    for _run in ("first", "rebuilt"):
        sink = Sink()
        watch = _watch(store, sink)
        with store.transaction() as tx:
            watch.drop(tx)
        apply(store, _watch(store, sink), history)
        found.append([e.id for e, _ in sink.found])
    assert found[0] == found[1] and len(found[0]) == 2


def test_state_stays_bounded(store: ReadStore) -> None:
    """Windows are pruned as time moves on: two hours later only the present is kept."""
    sink = Sink()
    watch = _watch(store, sink)
    apply(store, watch, hour_of(MONDAY, 0, [f"p-{i}" for i in range(40)])
          + [e for i in range(10) for e in refusal(MONDAY + dt.timedelta(seconds=i))])
    assert rows(store, "watch_lookups") == 40 and rows(store, "watch_refusals") == 10
    apply(store, watch, access(MONDAY + dt.timedelta(hours=2), "p-late"))
    assert rows(store, "watch_lookups") == 1 and rows(store, "watch_refusals") == 0
    assert rows(store, "watch_hour_subjects") == 1


def test_the_longest_windows_a_services_file_may_state_run_through_the_watch(
    store: ReadStore
) -> None:
    """A week-long window (the most parse_watch accepts; 10**13 s overflowed the store's
    integers) counts refusals a day apart as one burst."""
    sink = Sink()
    policy = parse_watch({"refusals_max": 2, "refusals_window_s": 7 * 24 * 3600,
                          "departments_window_s": 7 * 24 * 3600}, where="test")
    watch = _watch(store, sink, policy)
    apply(store, watch, [e for day in range(3) for e in refusal(MONDAY + dt.timedelta(days=day))])
    assert sink.kinds() == [REFUSAL_BURST]
