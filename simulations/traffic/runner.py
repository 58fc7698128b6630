"""Drive prepared requests at loopback servers: closed loop (N in flight) or open loop (fixed rate).

Both are bounded in count and in time. The open loop measures latency from the
moment a request was *due*, not from when a connection became free, so a
server that falls behind shows it in the tail (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable, Sequence

from simulations.traffic.http_pipe import Connection, HttpPipeError, Prepared
from simulations.traffic.tally import Tally

Progress = Callable[[Tally, float], None]  # (tally so far, seconds since the start)


async def _send(conn: Connection | None, request: Prepared, tally: Tally, due: float
                ) -> Connection | None:
    """Send one request on ``conn`` (opened when None) and tally it; the connection to reuse."""
    try:
        conn = conn or await Connection.open(request.url)
    except HttpPipeError:
        tally.failed(request.kind, "cannot connect")
        return None
    try:
        status, _ = await conn.send(request)
    except HttpPipeError:
        tally.failed(request.kind, "broken or timed out")
        await conn.close()
        return None
    if status == request.expect:
        tally.ok(request.kind, (time.perf_counter() - due) * 1000)
    else:
        tally.failed(request.kind, f"HTTP {status}")
    return conn


async def closed_loop(
    requests: Sequence[Prepared], *, concurrency: int, duration_s: float,
    max_requests: int = 1_000_000,
) -> Tally:
    """``concurrency`` workers, each one request in flight, cycling through ``requests``."""
    tally = Tally()
    counter = itertools.count()
    started = time.perf_counter()
    deadline = started + duration_s

    async def worker(offset: int) -> None:
        conns: dict[str, Connection | None] = {}
        for request in itertools.islice(itertools.cycle(requests), offset, None):
            if time.perf_counter() >= deadline or next(counter) >= max_requests:
                break
            conns[request.url] = await _send(conns.get(request.url), request, tally,
                                             time.perf_counter())
        for conn in conns.values():
            if conn is not None:
                await conn.close()

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    tally.elapsed_s = time.perf_counter() - started
    return tally


class _Pool:
    """Idle keep-alive connections per server, for the open loop.

    A connection idle longer than ``max_idle_s`` is closed rather than reused:
    servers close idle keep-alive connections (uvicorn after 5 s), and a request
    sent on one of those would be lost to a race, not to the server under test.
    """

    def __init__(self, max_idle_s: float = 2.0) -> None:
        self._idle: dict[str, list[tuple[float, Connection]]] = {}
        self._max_idle_s = max_idle_s
        self._stale: list[Connection] = []

    def take(self, url: str) -> Connection | None:
        idle = self._idle.get(url)
        while idle:
            since, conn = idle.pop()
            if time.monotonic() - since <= self._max_idle_s:
                return conn
            self._stale.append(conn)
        return None

    def give(self, url: str, conn: Connection | None) -> None:
        if conn is not None:
            self._idle.setdefault(url, []).append((time.monotonic(), conn))

    async def close(self) -> None:
        for conns in self._idle.values():
            self._stale.extend(conn for _, conn in conns)
        self._idle.clear()
        for conn in self._stale:
            await conn.close()
        self._stale.clear()


async def open_loop(
    requests: Sequence[Prepared], *, rate: float, duration_s: float, max_in_flight: int = 256,
    progress: Progress | None = None, drain_s: float = 30.0,
) -> Tally:
    """Send ``rate`` requests/s for ``duration_s`` (cycling through ``requests``), then wait
    up to ``drain_s`` for stragglers. A request due while ``max_in_flight`` are pending is
    counted as an error (``overload``), not queued without bound."""
    if rate <= 0 or duration_s <= 0:
        raise ValueError("rate and duration must be positive")
    tally, pool, pending = Tally(), _Pool(), set[asyncio.Task[None]]()
    started = time.perf_counter()

    async def one(request: Prepared, due: float) -> None:
        pool.give(request.url, await _send(pool.take(request.url), request, tally, due))

    reporter = asyncio.create_task(_report(progress, tally, started)) if progress else None
    total = max(1, round(rate * duration_s))
    for index, request in zip(range(total), itertools.cycle(requests), strict=False):
        due = started + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if len(pending) >= max_in_flight:
            tally.failed(request.kind, "overload")
            continue
        task = asyncio.create_task(one(request, due))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        _, late = await asyncio.wait(pending, timeout=drain_s)
        for task in late:
            task.cancel()
            tally.failed("unfinished", "not answered within the drain time")
    tally.elapsed_s = max(duration_s, time.perf_counter() - started)
    if reporter is not None:
        reporter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reporter
        progress(tally, tally.elapsed_s)  # type: ignore[misc]
    await pool.close()
    return tally


async def _report(progress: Progress, tally: Tally, started: float) -> None:
    while True:
        await asyncio.sleep(0.25)
        progress(tally, time.perf_counter() - started)
