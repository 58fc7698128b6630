"""Group commit on real stores (SQLite, PostgreSQL): concurrent exchanges share a
transaction, and a failure in a batch fails exactly its own callers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from hub.adapters.store.group_commit import GroupCommitWriter
from hub.adapters.store.ledger import Arrival, Ledger, Translation
from hub.adapters.store.write_turn import WriteTurn
from hub.bootstrap.privacy import build_ledger
from hub.domain.errors import ExchangeConflictError
from hub.domain.exchange import Exchange, Status
from hub.service_layer.exchanges.routed import completed
from hub.settings import HubSettings
from hub.work import WORK
from tests.waiting import wait_until

SS = "north/social-security/contribution-history"
QUERY = "social-security.contribution-history-query@1.0"
CONCURRENT = 40


@pytest.fixture(params=["sqlite", "postgres"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    """A ledger with its keyring on each event store back end."""
    store = None if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    built = build_ledger(HubSettings(data=tmp_path / "hub", store=store, log_format="json"))
    yield built
    built.close()


def _routed(ledger: Ledger, n: int) -> Exchange:
    """A new, unsaved routed exchange about a person (its request is sealed when written)."""
    arrival = Arrival("north/tax", SS, f"c-{n}", "json", "sha256:00", 42, "_hub.north.reply.x")
    document = {"national_id": f"1980010{n % 10}-1234", "period_start": "2000-01-01",
                "period_end": "2026-12-31"}
    translation = Translation(QUERY, document, "sha256:1", "north/social-security",
                              "hub.north.deliver.x",
                              data_subject=ledger.keyring.ref_for(document["national_id"]))
    exchange = ledger.accepted(arrival, translation)
    exchange.route(translation.provider, translation.subject)
    return exchange


async def test_concurrent_exchanges_share_transactions(ledger: Ledger) -> None:
    """Forty exchanges appended at once are written in far fewer than forty transactions,
    and every one of them is recorded whole."""
    exchanges = [_routed(ledger, n) for n in range(CONCURRENT)]
    before = WORK.snapshot().write_transactions
    await asyncio.gather(*(ledger.append(e) for e in exchanges))
    transactions = WORK.snapshot().write_transactions - before
    assert 1 <= transactions <= CONCURRENT // 4, transactions
    for exchange in exchanges:
        assert ledger.get(exchange.id).status is Status.ROUTED
        assert ledger.request_document(exchange.id) == exchange.request


async def test_a_conflicting_write_fails_alone(ledger: Ledger) -> None:
    """In one batch with others, a write at a version already taken gets its own
    ExchangeConflictError; the other callers' exchanges are recorded."""
    taken = _routed(ledger, 99)
    await ledger.append(taken)  # versions 1-3 are taken
    # A long window puts every write below into one batch.
    writer = GroupCommitWriter(ledger.mapper, ledger.recorder, window_s=0.2)
    try:
        innocent = [_routed(ledger, n) for n in range(10)]
        loser = completed(taken.id, 1, reply_digest="sha256:3", latency_ms=1.0)  # version 2
        outcomes = await asyncio.gather(
            writer.write([loser]), *(writer.write(e.collect_events()) for e in innocent),
            return_exceptions=True,
        )
    finally:
        writer.close()
    conflict = outcomes[0]
    assert isinstance(conflict, ExchangeConflictError) and conflict.exchange_id == taken.id
    assert all(isinstance(ids, list) for ids in outcomes[1:]), outcomes
    for exchange in innocent:
        assert ledger.get(exchange.id).status is Status.ROUTED
    assert ledger.get(taken.id).status is Status.ROUTED  # the loser changed nothing


async def test_a_write_that_cannot_be_stored_fails_its_caller_only(ledger: Ledger) -> None:
    """A caller whose events cannot be transcoded gets that error; its batch-mates are
    written."""
    writer = GroupCommitWriter(ledger.mapper, ledger.recorder, window_s=0.2)
    try:
        good = [_routed(ledger, n) for n in range(5)]
        bad = _routed(ledger, 7)
        events: list[Any] = bad.collect_events()
        events[0] = Exchange.Completed(originator_id=bad.id, originator_version=1,
                                       timestamp=events[0].timestamp, reply_digest="x",
                                       latency_ms=object())  # type: ignore[arg-type]
        outcomes = await asyncio.gather(
            writer.write(events), *(writer.write(e.collect_events()) for e in good),
            return_exceptions=True,
        )
    finally:
        writer.close()
    assert isinstance(outcomes[0], Exception) and not isinstance(outcomes[0], list)
    assert all(isinstance(ids, list) and len(ids) == 3 for ids in outcomes[1:]), outcomes
    assert [ledger.get(e.id).status for e in good] == [Status.ROUTED] * 5
    assert not list(ledger.events.get(bad.id))


def test_a_synchronous_caller_gets_its_notification_ids(ledger: Ledger) -> None:
    """write_now, from a thread that is not the loop's, returns the ids of its events."""
    exchange = _routed(ledger, 3)
    ids = ledger.writer.write_now(exchange.collect_events())
    assert len(ids) == 3 and ids == sorted(ids)
    assert [n.originator_id for n in ledger.notifications(ids[0], 3)] == [exchange.id] * 3
    assert isinstance(exchange.id, UUID)


async def test_one_turn_of_the_loop_is_one_hand_over_and_one_transaction(
        ledger: Ledger) -> None:
    """Writes submitted in one turn of the event loop reach the writer together: with no
    window to wait in, they still share a single transaction."""
    writer = GroupCommitWriter(ledger.mapper, ledger.recorder, window_s=0.0)
    try:
        exchanges = [_routed(ledger, n) for n in range(12)]
        waiters = [writer.write_soon(e.collect_events()) for e in exchanges]
        outcomes = await asyncio.gather(*waiters)
    finally:
        writer.close()
    assert writer.batches == 1
    assert [len(ids) for ids in outcomes] == [3] * 12
    assert [ledger.get(e.id).status for e in exchanges] == [Status.ROUTED] * 12


async def test_closing_the_writer_writes_what_this_turn_submitted(ledger: Ledger) -> None:
    """A write submitted in the turn of the loop that closes the writer is written, and
    its caller told, not left waiting."""
    writer = GroupCommitWriter(ledger.mapper, ledger.recorder)
    exchange = _routed(ledger, 5)
    waiter = writer.write_soon(exchange.collect_events())
    writer.close()
    assert len(await asyncio.wait_for(waiter, 5)) == 3
    assert ledger.get(exchange.id).status is Status.ROUTED
    late = writer.write_soon(_routed(ledger, 6).collect_events())
    with pytest.raises(RuntimeError, match="closed"):
        await asyncio.wait_for(late, 5)


def test_writes_queued_while_another_process_holds_the_turn_join_the_waiting_batch(
        tmp_path: Path) -> None:
    """On SQLite shared by several processes, a writer waiting for the write turn takes what
    was submitted meanwhile into the same transaction: ten exchanges, one commit."""
    built = build_ledger(HubSettings(data=tmp_path / "hub", log_format="json"))
    other = WriteTurn(tmp_path / "turn")  # another process's writer of the same file
    writer = GroupCommitWriter(built.mapper, built.recorder, window_s=0.0,
                               turn=WriteTurn(tmp_path / "turn"))
    try:
        exchanges = [_routed(built, n) for n in range(10)]
        with other.taken():
            first = writer.submit(exchanges[0].collect_events())
            wait_until(lambda: first.running(), timeout_s=5, message="the first write staged")
            time.sleep(0.05)  # the writer now waits for the turn
            rest = [writer.submit(e.collect_events()) for e in exchanges[1:]]
        outcomes = [f.result(timeout=10) for f in [first, *rest]]
    finally:
        writer.close()
        other.close()
        built.close()
    assert writer.batches == 1
    assert [len(ids) for ids in outcomes] == [3] * 10


async def test_the_writer_keeps_its_own_connection_and_sees_other_writers(
        ledger: Ledger, request: pytest.FixtureRequest) -> None:
    """On SQLite the writer commits on a connection of its own (its page cache stays valid
    between its commits); a write through the application's connections in between, as an
    operator command makes, is seen by the writer's next commit, on either store."""
    own = ledger._writer_connection
    assert (own is not None) == (request.node.callspec.params["ledger"] == "sqlite")
    first, middle, last = (_routed(ledger, n) for n in range(3))
    await ledger.append(first)
    ledger.save(middle)  # the application's recorder: another connection
    await ledger.append(last)
    received = [n.originator_id for n in ledger.notifications(
        start=1, limit=100, topics=(Exchange.Received.TOPIC,))]
    assert received[-3:] == [first.id, middle.id, last.id]
    # middle's version 2 is taken by the other connection's write: the writer sees it
    loser = completed(middle.id, 1, reply_digest="sha256:3", latency_ms=1.0)
    with pytest.raises(ExchangeConflictError):
        await ledger.writer.write([loser])
    ledger.close()
    if own is not None:
        assert own.datastore.pool.closed  # closed with the ledger
