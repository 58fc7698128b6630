"""Look inside a running ``serve --workers N``: who holds the relay lease, what JetStream holds.
(Starting it: :mod:`simulations.bench.hub_workers`, shared with the benchmark.)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections import Counter
from typing import Any

import httpx
import nats
import psycopg

from simulations.bench.hub_workers import Served, worker_sockets
from tests.integration.fault_helpers import post_query


def lease_sessions(store_url: str, region: str = "north") -> tuple[int | None, list[int]]:
    """(pid of the hub process holding the relay lease or None, pids of every lease session)."""
    with psycopg.connect(store_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT a.application_name, bool_or(l.locktype = 'advisory' AND l.granted) "
            "FROM pg_stat_activity a LEFT JOIN pg_locks l ON l.pid = a.pid "
            # pg_stat_activity spans the server: keep to this test's own database.
            "WHERE a.application_name LIKE %s AND a.datname = current_database() "
            "GROUP BY a.application_name",
            (f"interop-hub relay lease {region} pid %",)).fetchall()
    holder, everyone = None, []
    for name, held in rows:
        pid = int(name.rsplit(" ", 1)[-1])
        everyone.append(pid)
        if held:
            holder = pid
    return holder, everyone


async def published_exchanges(nats_url: str, stream: str, **auth: Any) -> Counter[str]:
    """How many messages of the delivery stream carry each exchange (a queued exchange by
    the relay, an inline claim its process left unsettled by the relay that took over).
    ``auth``: ``nats.connect`` credentials, for a server with users."""
    nc = await nats.connect(nats_url, connect_timeout=5, allow_reconnect=False, **auth)
    try:
        js = nc.jetstream(timeout=5)
        info = await js.stream_info(stream)
        counts: Counter[str] = Counter()
        if info.state.messages:
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                message = await js.get_msg(stream, seq)
                counts[json.loads(message.data or b"{}")["exchange_id"]] += 1
        return counts
    finally:
        await nc.close()


def alive(pid: int) -> bool:
    """Whether a process with this pid exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def load_killing(served: Served, token: str, victim: int, *, total: int, in_flight: int,
                       kill_at: int) -> tuple[set[str], dict[int, int]]:
    """Send ``total`` queries, ``in_flight`` at a time, and ``kill -9`` ``victim`` as query
    ``kill_at`` starts; (the correlation ids answered 200, the connections each worker
    accepted before the kill). Every query opens a new connection, so the kernel hands each
    accept to whichever worker is waiting first (kept-alive ones could all stick to one);
    the accepted connections are sampled as socket inodes."""
    answered: set[str] = set()
    accepted: dict[int, set[int]] = {pid: set() for pid in served.pids}
    killed = asyncio.Event()
    slots = asyncio.Semaphore(in_flight)

    async def sample() -> None:
        while not killed.is_set():
            for pid in served.pids:
                accepted[pid] |= worker_sockets(pid, served.port)
            await asyncio.sleep(0.005)

    async def one(http: httpx.AsyncClient, index: int) -> None:
        async with slots:
            if index == kill_at:
                killed.set()
                os.kill(victim, signal.SIGKILL)
            with contextlib.suppress(httpx.TransportError):  # a worker died under us
                response = await post_query(http, served.url, "north", token, f"w-{index}")
                if response.status_code == 200:
                    answered.add(f"w-{index}")

    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=0)
    sampler = asyncio.create_task(sample())
    async with httpx.AsyncClient(timeout=20, limits=limits) as http:
        await asyncio.wait_for(asyncio.gather(*(one(http, i) for i in range(total))), 90)
    killed.set()
    await sampler
    return answered, {pid: len(inodes) for pid, inodes in accepted.items()}
