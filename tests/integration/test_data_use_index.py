"""The data-use report comes from the data-use index: fresh at each reading, and its cost does
not grow with the ledger's history (work counted, not timed), on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from uuid import UUID

import pytest

from hub.adapters.projections import ProjectionRunner, build_projections
from hub.adapters.projections.data_use import REPORT_SQL, DataUses, uses_of
from hub.adapters.projections.data_use_book import DataUseBook, open_data_uses
from hub.adapters.projections.store import SQLITE_FILE, ReadStore, open_read_store
from hub.adapters.store.ledger import Ledger
from hub.bootstrap.privacy import build_ledger
from hub.service_layer.privacy.erasure import forget_subject
from hub.service_layer.security.report import data_use_report, subject_report
from hub.settings import HubSettings
from simulations.bench.data_use import OTHERS, PERSON, seed_disclosures
from tests.integration.citizen_fixtures import record_disclosure


def _others(ledger: Ledger, count: int) -> None:
    """``count`` disclosures about other people (the history a reading must not pay for)."""
    seed_disclosures(ledger, OTHERS, count)


def _reading_work(ledger: Ledger, book: DataUseBook, others: int) -> tuple[int, int]:
    """Notifications a fresh reading of PERSON's report read, and the uses it returned, after
    ``others`` disclosures about other people and a new one about PERSON."""
    record_disclosure(ledger, PERSON, "north/vehicles", "benefit-eligibility")
    _others(ledger, others)
    data_use_report(book, ledger.keyring.ref_for(PERSON))  # the follower's share, done once
    exchange_id = record_disclosure(ledger, PERSON, "north/tax", "benefit-eligibility")
    before = book.caught_up
    uses = data_use_report(book, ledger.keyring.ref_for(PERSON))
    assert uses[-1].exchange_id == exchange_id  # fresh: the disclosure just recorded is there
    return book.caught_up - before, len(uses)


@pytest.mark.parametrize("others", [50, 5000])
def test_a_reading_reads_what_is_new_not_the_history(
    store_ledger: Ledger, store_url: str | None, tmp_path: Path, others: int
) -> None:
    """With 50 or 5,000 other people's disclosures in the ledger, a reading reads the same
    few notifications (the exchange recorded since the last one) and returns the same uses."""
    book = open_data_uses(store_ledger, store_url, tmp_path / "hub")
    try:
        read, uses = _reading_work(store_ledger, book, others)
    finally:
        book.close()
    # the new exchange's Received, Translated and Disclosed: whatever the history
    assert (read, uses) == (3, 2)


def test_the_report_query_touches_only_the_subjects_rows(tmp_path: Path) -> None:
    """SQLite's own count of the steps it ran for the report's query is the same with 50 and
    5,050 other disclosures indexed, and its plan is one search of the subject index."""
    ledger = build_ledger(HubSettings(data=tmp_path / "hub"))
    book = open_data_uses(ledger, None, tmp_path / "hub")
    ref = ledger.keyring.ref_for(PERSON)
    try:
        _reading_work(ledger, book, 50)
        plan, few = _query_steps(tmp_path / "hub" / SQLITE_FILE, ref)
        _others(ledger, 5000)
        assert len(data_use_report(book, ref)) == 2
        many = _query_steps(tmp_path / "hub" / SQLITE_FILE, ref)[1]
    finally:
        book.close()
        ledger.close()
    assert plan == "SEARCH data_use USING INDEX ix_data_use_subject (subject=?)"
    assert few == many


def _query_steps(path: Path, ref: str) -> tuple[str, int]:
    """The report query's plan, and the virtual machine steps SQLite ran to answer it."""
    conn = sqlite3.connect(path)
    try:
        plan = " ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {REPORT_SQL}", (ref,)))
        counted = [0]

        def step() -> int:
            counted[0] += 1
            return 0

        conn.set_progress_handler(step, 1)
        conn.execute(REPORT_SQL, (ref,)).fetchall()
        conn.set_progress_handler(None, 1)
    finally:
        conn.close()
    return plan, counted[0]


def test_the_index_as_the_follower_and_replay_build_it_answers_the_same(
    store_ledger: Ledger, store_url: str | None, tmp_path: Path
) -> None:
    """The hub's follower (every projection) and a rebuild give the rows the readings give."""
    for who in (PERSON, *OTHERS[:2], PERSON):
        record_disclosure(store_ledger, who, "north/tax", "income-verification")
    book = open_data_uses(store_ledger, store_url, tmp_path / "hub")
    try:
        ref = store_ledger.keyring.ref_for(PERSON)
        read = data_use_report(book, ref)
        runner = ProjectionRunner(store_ledger, book.store, build_projections({}))
        runner.prepare()
        runner.rebuild()
        with book.store.transaction(write=False) as tx:
            rebuilt = uses_of(tx, ref)
        assert rebuilt == read and len(read) == 2
        assert {u.service for u in read} == {"north/social-security/contribution-history"}
        assert runner.positions()[DataUses.name] == store_ledger.recorder.max_notification_id()
    finally:
        book.close()


def test_one_event_per_page_gives_the_same_rows(
    store_ledger: Ledger, store_url: str | None, tmp_path: Path
) -> None:
    """With every event in a page of its own, each disclosure finds its exchange's service and
    retention in the facts table (written pages earlier), not in its own batch."""
    for who in (PERSON, OTHERS[0], PERSON):
        record_disclosure(store_ledger, who, "north/tax", "income-verification")
    book = open_data_uses(store_ledger, store_url, tmp_path / "hub")
    single = open_read_store(None, tmp_path / "single")
    try:
        ref = store_ledger.keyring.ref_for(PERSON)
        runner = ProjectionRunner(store_ledger, single, [DataUses()], batch=1)
        runner.prepare()
        assert runner.catch_up() == 3 * 3  # Received, Translated, Disclosed per exchange
        with single.transaction(write=False) as tx:
            paged = uses_of(tx, ref)
        assert paged == data_use_report(book, ref) and len(paged) == 2
        assert all(u.service.endswith("contribution-history") for u in paged)
    finally:
        single.close()
        book.close()


def test_a_forgotten_subjects_report_still_lists_every_use(
    store_ledger: Ledger, store_url: str | None, tmp_path: Path
) -> None:
    """Forgetting destroys keys, not the index's rows (references and field paths only)."""
    record_disclosure(store_ledger, PERSON, "north/tax", "income-verification")
    book = open_data_uses(store_ledger, store_url, tmp_path / "hub")
    try:
        ref, before = subject_report(book, PERSON)
        forget_subject(store_ledger, store_ledger.keyring, ref)
        record_disclosure(store_ledger, OTHERS[0], "north/tax", "income-verification")
        after = subject_report(book, ref)[1]
        assert after == before and [u.fields for u in after] == [("periods",)]
    finally:
        book.close()


def test_facts_of_an_exchange_are_dropped_when_it_ends(
    store_ledger: Ledger, store_url: str | None, tmp_path: Path
) -> None:
    """What a disclosure needs from its exchange (service, retention) is kept only while the
    exchange may still disclose: the facts table follows the open exchanges, not history."""
    exchange_id = record_disclosure(store_ledger, PERSON, "north/tax", "income-verification")
    store = open_read_store(store_url, tmp_path / "hub")
    runner = ProjectionRunner(store_ledger, store, [DataUses()])
    try:
        runner.prepare()
        runner.catch_up()
        assert _facts(store) == [exchange_id]
        exchange = store_ledger.get(UUID(exchange_id))
        exchange.complete("2" * 64, 1.0)
        store_ledger.save(exchange)
        runner.catch_up()
        assert _facts(store) == []
    finally:
        store.close()


def _facts(store: ReadStore) -> list[str]:
    with store.transaction(write=False) as tx:
        return [row[0] for row in tx.query("SELECT id FROM data_use_facts")]
