"""One projection suite, run against both read-store back ends (SQLite file, PostgreSQL)."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from hub.adapters.projections import (
    ExchangeIndex,
    ExchangeQuery,
    ProjectionFollower,
    ProjectionRunner,
    ReadStore,
    ReadView,
    ServiceMetrics,
    ViewNotFoundError,
    build_as_of,
    build_projections,
    open_as_of,
    open_read_store,
    search,
)
from hub.adapters.projections.base import Event
from hub.adapters.projections.store import Tx
from hub.adapters.store.ledger import Arrival, Ledger, Problem, Translation
from hub.bootstrap.privacy import build_ledger
from hub.service_layer.security.access import AccessRights
from hub.settings import HubSettings
from tests.counting_recorder import count_reads
from tests.waiting import wait_until_async

SS = "north/social-security/contribution-history"
TAX = "north/tax/tax-clearance"
VEHICLES = "north/vehicles/registration"
SS_QUERY = "social-security.contribution-history-query@1.0"
TAX_QUERY = "tax.clearance-query@1.0"
LIMITS = {SS: 2.0, TAX: 2.0}


@pytest.fixture
def ledger(store_ledger: Ledger) -> Ledger:
    """Every test here runs on each event store back end."""
    return store_ledger


@pytest.fixture
def read_store(store_url: str | None, tmp_path: Path) -> Iterator[ReadStore]:
    store = open_read_store(store_url, tmp_path)
    yield store
    store.close()


@dataclass
class Scenario:
    """Exchanges recorded by :func:`record_scenario`, by correlation id."""

    ids: dict[str, UUID] = field(default_factory=dict)


def _arrival(service: str, correlation: str, client: str = "north/tax") -> Arrival:
    return Arrival(client, service, correlation, "json", "sha256:00", 42, "")


def _translation(service: str, contract: str) -> Translation:
    provider = service.rsplit("/", 1)[0]
    return Translation(contract, {"national_id": "19800101-1234"}, "sha256:11", provider, "s")


def _accepted(ledger: Ledger, service: str, contract: str, correlation: str) -> UUID:
    return ledger.record_accepted(_arrival(service, correlation), _translation(service, contract))


def _responded(ledger: Ledger, exchange_id: UUID) -> None:
    ledger.record_response(
        exchange_id, attempt=1, contract="x@1.0", document={"a": 1}, digest="d", provider_ms=1.0
    )


def _completed(ledger: Ledger, service: str, contract: str, correlation: str, ms: float) -> UUID:
    exchange_id = _accepted(ledger, service, contract, correlation)
    _responded(ledger, exchange_id)
    ledger.record_completed(exchange_id, reply_digest="r", latency_ms=ms)
    return exchange_id


def _rejected(ledger: Ledger, service: str, correlation: str, code: str) -> UUID:
    return ledger.record_rejected(_arrival(service, correlation), Problem(code, "refused", []))


def _failure(ledger: Ledger, exchange_id: UUID, attempt: int, *, retryable: bool, give_up: bool):  # type: ignore[no-untyped-def]
    ledger.record_failure(
        exchange_id,
        attempt=attempt,
        code="provider-unavailable" if retryable else "provider-fault",
        reason="down",
        retryable=retryable,
        give_up=give_up,
    )


def record_scenario(ledger: Ledger) -> Scenario:
    """Eleven exchanges over three services, one of each fate (see the metrics test)."""
    s = Scenario()
    s.ids["c-1"] = _completed(ledger, SS, SS_QUERY, "c-1", 100.0)
    s.ids["c-2"] = _completed(ledger, SS, SS_QUERY, "c-2", 300.0)
    s.ids["c-3"] = _completed(ledger, SS, SS_QUERY, "c-3", 2500.0)  # over the 2 s limit
    s.ids["c-4"] = _rejected(ledger, SS, "c-4", "contract-violation")
    s.ids["c-5"] = _rejected(ledger, SS, "c-5", "malformed-input")
    s.ids["c-6"] = _accepted(ledger, SS, SS_QUERY, "c-6")
    _failure(ledger, s.ids["c-6"], 1, retryable=False, give_up=False)  # failed for good
    s.ids["c-7"] = _accepted(ledger, SS, SS_QUERY, "c-7")
    _responded(ledger, s.ids["c-7"])  # the client never got the answer: stays open
    s.ids["c-8"] = _completed(ledger, TAX, TAX_QUERY, "c-8", 50.0)
    s.ids["c-9"] = _accepted(ledger, TAX, TAX_QUERY, "c-9")
    _failure(ledger, s.ids["c-9"], 1, retryable=True, give_up=False)
    _failure(ledger, s.ids["c-9"], 2, retryable=True, give_up=True)  # dead-lettered
    s.ids["c-10"] = _rejected(ledger, TAX, "c-10", "schema-violation")
    s.ids["c-11"] = _rejected(ledger, VEHICLES, "c-11", "unknown-service")
    return s


def _runner(ledger: Ledger, store: ReadStore, batch: int = 1000) -> ProjectionRunner:
    runner = ProjectionRunner(ledger, store, build_projections(LIMITS), batch=batch)
    runner.prepare()
    return runner


def _find(store: ReadStore, **filters: Any) -> list[str]:
    with store.transaction(write=False) as tx:
        return [row.correlation_id for row in search(tx, ExchangeQuery(**filters))]


def _dump(store: ReadStore) -> dict[str, list[tuple[Any, ...]]]:
    tables = (*ExchangeIndex.tables, *ServiceMetrics.tables, "projection_position")
    with store.transaction(write=False) as tx:
        return {t: sorted(tx.query(f"SELECT * FROM {t}"), key=repr) for t in tables}  # noqa: S608


def test_index_answers_each_kind_of_search(ledger: Ledger, read_store: ReadStore) -> None:
    """The exchange index finds exchanges by outcome, department, service, contract, id, time."""
    record_scenario(ledger)
    _runner(ledger, read_store).catch_up()
    assert _find(read_store) == [f"c-{i}" for i in range(1, 12)]
    assert _find(read_store, outcome="rejected") == ["c-4", "c-5", "c-10", "c-11"]
    assert _find(read_store, outcome="failed") == ["c-6", "c-9"]
    assert _find(read_store, outcome="pending") == ["c-7"]
    assert _find(read_store, department="tax") == ["c-8", "c-9", "c-10"]
    assert _find(read_store, department="north/tax") == ["c-8", "c-9", "c-10"]
    assert _find(read_store, service="tax-clearance") == ["c-8", "c-9", "c-10"]
    assert _find(read_store, service=VEHICLES) == ["c-11"]
    assert _find(read_store, contract=TAX_QUERY) == ["c-8", "c-9"]
    assert _find(read_store, service=SS, outcome="completed") == ["c-1", "c-2", "c-3"]
    with read_store.transaction(write=False) as tx:
        (row,) = search(tx, ExchangeQuery(correlation_id="c-9"))
        everything = {r.correlation_id: r for r in search(tx, ExchangeQuery())}
    assert (row.status, row.attempts) == ("dead-lettered", 2)
    assert row.error_code == "provider-unavailable"
    assert everything["c-3"].latency_ms == 2500.0
    assert everything["c-7"].status == "responded"
    since, until = everything["c-5"].received_at, everything["c-8"].received_at
    assert _find(read_store, since=since, until=until) == ["c-5", "c-6", "c-7", "c-8"]


def test_service_metrics_count_outcomes_latency_and_breaches(
    ledger: Ledger, read_store: ReadStore
) -> None:
    """Metrics per service: volume, outcomes, reasons, p50/p95 and time-limit breaches."""
    record_scenario(ledger)
    _runner(ledger, read_store).catch_up()
    view = ReadView(read_store, None)
    with read_store.transaction(write=False) as tx:
        (open_one,) = search(tx, ExchangeQuery(correlation_id="c-7"))
    stats = {s.service: s for s in view.metrics(now=open_one.received_at + dt.timedelta(seconds=3))}
    ss, tax, vehicles = stats[SS], stats[TAX], stats[VEHICLES]
    assert (ss.volume, ss.completed, ss.rejected, ss.failed, ss.pending) == (7, 3, 2, 1, 1)
    assert ss.success_rate == pytest.approx(3 / 5)
    assert ss.rejections == {"contract-violation": 1, "malformed-input": 1}
    assert ss.p50_ms == pytest.approx(300.0, rel=0.01)
    assert ss.p95_ms == pytest.approx(2500.0, rel=0.01)
    assert (ss.limit_s, ss.late, ss.unanswered, ss.overdue, ss.breaches) == (2.0, 1, 1, 1, 3)
    assert (tax.volume, tax.completed, tax.rejected, tax.failed) == (3, 1, 1, 1)
    assert (tax.late, tax.unanswered, tax.overdue, tax.breaches) == (0, 1, 0, 1)
    assert tax.rejections == {"schema-violation": 1}
    assert (vehicles.volume, vehicles.rejected, vehicles.limit_s, vehicles.breaches) == (
        1,
        1,
        None,
        0,
    )
    early = {s.service: s for s in view.metrics(now=open_one.received_at + dt.timedelta(seconds=1))}
    assert early[SS].overdue == 0  # within its limit, the open exchange is not a breach yet


def test_replay_is_idempotent_and_matches_incremental_following(
    ledger: Ledger, read_store: ReadStore
) -> None:
    """Following in small pages, rebuilding, and rebuilding again give the same rows."""
    record_scenario(ledger)
    _runner(ledger, read_store, batch=4).catch_up()
    followed = _dump(read_store)
    runner = _runner(ledger, read_store)
    runner.rebuild()
    assert _dump(read_store) == followed
    runner.rebuild()
    assert _dump(read_store) == followed
    assert runner.catch_up() == 0  # nothing new: nothing applied twice


class _CrashOnPage(ServiceMetrics):
    """Service metrics that crash on their Nth page, after writing that page's rows."""

    def __init__(self, crash_on: int) -> None:
        super().__init__(LIMITS)
        self.pages = 0
        self.crash_on = crash_on

    def apply(self, tx: Tx, events: Sequence[Event]) -> None:
        super().apply(tx, events)
        self.pages += 1
        if self.pages == self.crash_on:
            raise RuntimeError("power cut")


def test_crash_commits_rows_and_position_together(ledger: Ledger, read_store: ReadStore) -> None:
    """A crash mid-replay keeps exactly the committed pages; resuming matches a clean replay."""
    record_scenario(ledger)
    crashing = ProjectionRunner(ledger, read_store, [ExchangeIndex(), _CrashOnPage(3)], batch=5)
    crashing.prepare()
    with pytest.raises(RuntimeError, match="power cut"):
        crashing.catch_up()
    positions = crashing.positions()
    assert positions == {"exchange-index": 10, "service-metrics": 10}  # two pages of five
    received = {n.originator_id for n in ledger.notifications(1, 10) if n.originator_version == 1}
    with read_store.transaction(write=False) as tx:
        (volume,) = tx.query("SELECT SUM(volume) FROM service_metrics")[0]
        (indexed,) = tx.query("SELECT COUNT(*) FROM exchange_index")[0]
    assert volume == indexed == len(received)  # the third page left no row behind
    _runner(ledger, read_store).catch_up()
    resumed = _dump(read_store)
    _runner(ledger, read_store).rebuild()
    assert _dump(read_store) == resumed


def test_two_runners_on_one_store_never_apply_an_event_twice(
    ledger: Ledger, store_url: str | None, tmp_path: Path, read_store: ReadStore
) -> None:
    """Two runners racing over one read store (separate connections) count each event once."""
    record_scenario(ledger)
    record_scenario(ledger)
    _runner(ledger, read_store)
    others = [open_read_store(store_url, tmp_path) for _ in range(2)]
    runners = [ProjectionRunner(ledger, s, build_projections(LIMITS), batch=2) for s in others]
    errors: list[BaseException] = []

    def follow(runner: ProjectionRunner) -> None:
        try:
            runner.catch_up()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=follow, args=(r,)) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for store in others:
        store.close()
    assert errors == []
    raced = _dump(read_store)
    _runner(ledger, read_store).rebuild()
    assert _dump(read_store) == raced
    assert sum(s.volume for s in ReadView(read_store, None).metrics()) == 22


def test_new_projection_version_rebuilds_from_the_start(
    ledger: Ledger, read_store: ReadStore
) -> None:
    """A projection whose schema version changed is dropped and rebuilt by ``prepare``."""

    class IndexV2(ExchangeIndex):
        version = 2

    record_scenario(ledger)
    _runner(ledger, read_store).catch_up()
    runner = ProjectionRunner(ledger, read_store, [IndexV2()])
    assert runner.prepare() == ["exchange-index"]
    assert runner.positions() == {"exchange-index": 0}
    runner.catch_up()
    assert len(_find(read_store)) == 11


def test_as_of_view_shows_the_past_and_leaves_live_models_alone(
    ledger: Ledger, read_store: ReadStore, tmp_path: Path
) -> None:
    """``replay --until``'s view holds only what was recorded by then; live rows are untouched."""
    _completed(ledger, SS, SS_QUERY, "early-1", 10.0)
    _rejected(ledger, TAX, "early-2", "schema-violation")
    cut = dt.datetime.now(dt.UTC)
    _completed(ledger, TAX, TAX_QUERY, "late-1", 10.0)
    runner = _runner(ledger, read_store)
    runner.catch_up()
    live = _dump(read_store)
    path, _ = build_as_of(ledger, tmp_path / "data", cut, LIMITS)
    assert path.parent == tmp_path / "data" / "as-of"
    view = open_as_of(tmp_path / "data", cut)
    try:
        assert _find(view.store) == ["early-1", "early-2"]
        assert {s.service: s.volume for s in view.metrics()} == {SS: 1, TAX: 1}
        assert view.as_of == cut
    finally:
        view.close()
    assert _dump(read_store) == live
    with pytest.raises(ViewNotFoundError):
        open_as_of(tmp_path / "data", cut - dt.timedelta(days=1))


async def test_follower_keeps_read_models_live(ledger: Ledger, read_store: ReadStore) -> None:
    """The hub's follower applies new events as they are recorded, and all of them at stop."""
    follower = ProjectionFollower(_runner(ledger, read_store), poll_s=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(follower.run(stop))
    await asyncio.to_thread(_completed, ledger, SS, SS_QUERY, "live-1", 20.0)
    follower.wake()
    head = ledger.recorder.max_notification_id()
    await wait_until_async(lambda: set(follower.runner.positions().values()) == {head},
                           timeout_s=5, interval_s=0.025,
                           message=f"every projection at the ledger's head {head}")
    await asyncio.to_thread(_rejected, ledger, TAX, "live-2", "malformed-input")
    stop.set()
    await asyncio.wait_for(task, 10)
    assert _find(read_store) == ["live-1", "live-2"]


def test_an_idle_round_reads_nothing(ledger: Ledger, read_store: ReadStore) -> None:
    """Past events no projection reads, positions move to the ledger's last one: an idle round
    then selects nothing (it used to scan again everything since the last event it read)."""
    record_scenario(ledger)
    counting = count_reads(ledger)
    runner = _runner(ledger, read_store)
    runner.catch_up()
    AccessRights(ledger, "north").grant("tax", SS, ["benefit"])  # no projection reads these
    assert runner.catch_up() == 0
    assert set(runner.positions().values()) == {ledger.recorder.max_notification_id()}
    selects = counting.selects
    for _ in range(3):
        assert runner.catch_up() == 0
    assert counting.selects == selects


def test_projections_never_open_sealed_personal_fields(
    store_url: str | None, tmp_path: Path, read_store: ReadStore
) -> None:
    """A ledger sealing personal data per subject replays even after the subject's key is gone."""
    ledger = build_ledger(HubSettings(data=tmp_path, store=store_url))
    try:
        subject = ledger.keyring.ref_for("19800101-1234")
        sealed = replace(_translation(SS, SS_QUERY), data_subject=subject)
        exchange_id = ledger.record_accepted(_arrival(SS, "sealed-1"), sealed)
        _responded(ledger, exchange_id)
        ledger.record_completed(exchange_id, reply_digest="r", latency_ms=12.0)
        ledger.keyring.forget(subject)  # crypto-shredded: the documents can never be read again
        _runner(ledger, read_store).rebuild()
    finally:
        ledger.close()
    with read_store.transaction(write=False) as tx:
        (row,) = search(tx, ExchangeQuery())
    assert (row.correlation_id, row.contract, row.status) == ("sealed-1", SS_QUERY, "completed")
