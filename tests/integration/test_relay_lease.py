"""The relay lease on PostgreSQL: one holder per region and store; a standby takes over.

Real PostgreSQL (a scratch database); the holder's death is its session ending,
which is what PostgreSQL sees when a hub process is killed.
"""

from __future__ import annotations

import asyncio
import contextlib

import psycopg
import pytest

from hub.adapters.store.relay_lease import AdvisoryLease, while_leased
from tests.waiting import wait_until_async

pytestmark = pytest.mark.postgres


def _terminate_lease_sessions(url: str, region: str, pid: int | None = None) -> int:
    """End the lease sessions (of this test process) as PostgreSQL does when a holder dies."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(l.pid) FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE %s "
            "AND a.datname = current_database()",  # never another test's (or run's) sessions
            (f"interop-hub relay lease {region} %",)).fetchall()
    return len(rows)


async def _acquired_within(lease: AdvisoryLease, seconds: float) -> bool:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.call_later(seconds, stop.set)
    return await lease.acquire(stop)


async def test_one_holder_per_region_and_a_standby_takes_over(postgres_url: str) -> None:
    """While one lease holds, a second of the same region waits; another region's lease is
    independent; when the holder's session ends, the holder notices and the standby
    takes the lease within its retry interval."""
    holder = AdvisoryLease(postgres_url, "north", retry_s=0.2, check_s=0.2)
    standby = AdvisoryLease(postgres_url, "north", retry_s=0.2, check_s=0.2)
    other = AdvisoryLease(postgres_url, "south", retry_s=0.2, check_s=0.2)
    try:
        assert await _acquired_within(holder, 2.0)
        assert not await _acquired_within(standby, 1.0)
        assert await _acquired_within(other, 2.0)
        lost = asyncio.ensure_future(holder.until_lost())
        await asyncio.sleep(0.3)
        assert not lost.done()
        assert await asyncio.to_thread(_terminate_lease_sessions, postgres_url, "north") == 1
        await asyncio.wait_for(lost, 5)
        assert holder.held is False
        assert await _acquired_within(standby, 3.0)
    finally:
        for lease in (holder, standby, other):
            await lease.release()


async def test_duties_stop_when_the_lease_is_lost_and_resume_when_retaken(
    postgres_url: str,
) -> None:
    """The relay runs only while the lease is held: a lost lease cancels it at once, and
    the same process runs it again once it holds the lease anew; stop ends it cleanly."""
    lease = AdvisoryLease(postgres_url, "north", retry_s=0.2, check_s=0.2)
    terms: list[asyncio.Event] = []
    cancelled = 0

    async def duty(term: asyncio.Event) -> None:
        nonlocal cancelled
        terms.append(term)
        try:
            await term.wait()
        except asyncio.CancelledError:
            cancelled += 1
            raise

    stop = asyncio.Event()
    task = asyncio.ensure_future(while_leased(lease, {"duty": duty}, stop, report=lambda *_: None))
    try:
        await wait_until_async(lambda: len(terms) == 1, timeout_s=5,
                               message="the duty's first term under the lease")
        await asyncio.to_thread(_terminate_lease_sessions, postgres_url, "north")
        await wait_until_async(lambda: len(terms) == 2, timeout_s=10,
                               message="the duty's second term after the lease was lost")
        assert cancelled == 1
        stop.set()
        await asyncio.wait_for(task, 5)
        assert terms[1].is_set() and cancelled == 1  # asked to stop, not cancelled
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await lease.release()


async def test_a_failing_duty_is_reported_and_the_others_carry_on(postgres_url: str) -> None:
    """One duty failing (the read models, say) is reported by name and reason, while the
    relay keeps running under the lease, which stays held."""
    lease = AdvisoryLease(postgres_url, "north", retry_s=0.2, check_s=0.2)
    reports: list[tuple[str, str]] = []
    relay_terms: list[asyncio.Event] = []

    async def relay(term: asyncio.Event) -> None:
        relay_terms.append(term)
        await term.wait()

    async def follower(term: asyncio.Event) -> None:
        raise RuntimeError("read store gone")

    stop = asyncio.Event()
    task = asyncio.ensure_future(while_leased(
        lease, {"outbox-relay": relay, "projections": follower}, stop,
        report=lambda name, reason: reports.append((name, reason))))
    try:
        await wait_until_async(lambda: bool(reports) and bool(relay_terms), timeout_s=5,
                               message="the failing duty reported and the relay running")
        await asyncio.sleep(0.5)
        assert reports == [("projections", "RuntimeError: read store gone")]
        assert lease.held and not task.done() and len(relay_terms) == 1
        stop.set()
        await asyncio.wait_for(task, 5)
        assert relay_terms[0].is_set()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await lease.release()
