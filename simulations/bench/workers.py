"""P1 with several hub processes: ``serve --workers 2`` against ``serve`` alone, on PostgreSQL.

Both hubs run at once, each as an operator starts it (``interop-hub serve``), each
with its own scratch PostgreSQL database on 127.0.0.1:5432 and its own
nats-server, in front of the same emulated bureaus. The query client
(:mod:`simulations.traffic`, 16 in flight, the P1 SOAP mix) asks them in
alternating rounds (one worker, two workers, one, two), so a shared machine
weighs on both. Hub CPU is read from ``/proc`` of the hub processes (the
``--workers`` parent included).

- ``p1_workers_2_vs_1``: queries/s with two workers over queries/s with one.
  Goal >= 1.0: a second worker never costs throughput.
- ``p1_workers_cpu_efficiency``: queries per hub CPU-second with two workers over
  that with one. Goal >= 0.85: on 2 cores the client and the bureaus share the
  CPU, so efficiency, not speed-up, shows that the design scales to more cores.

``python -m simulations.bench.workers [SECONDS]`` runs it alone (SECONDS per round).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from rich.console import Console

from hub.adapters.nats.server import NatsServerConfig, free_port, running_nats_server
from hub.settings import HubSettings
from simulations.bench.figures import Figure, ratio_of
from simulations.bench.hub_workers import Served, serve, services_file
from simulations.bench.processes import cpu_seconds, hub_processes, server_process
from simulations.bench.query import CLIENT, SERVICE, mediated_requests
from simulations.traffic.clients import client_headers
from simulations.traffic.http_pipe import Prepared
from simulations.traffic.runner import closed_loop

CONCURRENCY = 16
ROUND_S = 5.0
ROUNDS = 2  # of each side, alternating
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
_SERVERS = "simulations.bench.query_servers"

console = Console(width=None if sys.stdout.isatty() else 132)


@dataclass
class Side:
    """One hub configuration under test and what its rounds measured."""

    workers: int
    served: Served
    requests: list[Prepared]
    queries: int = 0
    seconds: float = 0.0
    cpu_s: float = 0.0
    rates: list[float] = field(default_factory=list)

    @property
    def pids(self) -> list[int]:
        # the hub's every process (a lone hub's projections process too), not nats-server
        return hub_processes(self.served.process.pid)

    def rate(self) -> float:
        return self.queries / self.seconds if self.seconds else 0.0

    def per_cpu_second(self) -> float:
        return self.queries / self.cpu_s if self.cpu_s else 0.0


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards."""
    name = f"hub_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.asynccontextmanager
async def _side(workers: int, bureaus: dict[str, str], root: Path) -> AsyncIterator[Side]:
    """A hub with ``workers`` processes on its own database and nats-server."""
    folder = root / f"workers-{workers}"
    folder.mkdir()
    with scratch_database() as store:
        config = NatsServerConfig(name=f"bench-{workers}", workdir=folder / "nats")
        async with running_nats_server(config) as nats_server:
            data = folder / "hub"
            settings = HubSettings(data=data, region="north", store=store)
            identity = await asyncio.to_thread(client_headers, settings, CLIENT, [SERVICE])
            services = services_file(
                folder, f"{bureaus['social_security']}/ws/insurance?wsdl", bureaus["tax"])
            env = {**os.environ, "HUB_DATA": str(data), "HUB_STORE": store,
                   "HUB_NATS_URL": nats_server.url, "HUB_HTTP_PORT": str(free_port()),
                   "HUB_LOG_FORMAT": "json", "HUB_LOG_LEVEL": "warning"}
            async with serve(env, services, data, workers, folder / "hub.log") as served:
                yield Side(workers, served, mediated_requests(served.url, identity))


async def _round(side: Side, seconds: float) -> None:
    pids = await asyncio.to_thread(lambda: side.pids)
    before = await asyncio.to_thread(cpu_seconds, pids)
    tally = await closed_loop(side.requests, concurrency=CONCURRENCY, duration_s=seconds)
    used = await asyncio.to_thread(cpu_seconds, pids) - before
    total = tally.total()
    if total.error_count:
        raise RuntimeError(f"{side.workers} worker(s): {total.error_count} errors "
                           f"{dict(total.errors)}")
    side.queries += total.completed
    side.seconds += seconds
    side.cpu_s += used
    side.rates.append(tally.rate())


async def measure(round_s: float = ROUND_S) -> list[Figure]:
    """Both hubs beside one another; alternating rounds; the two ratios."""
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
        root = Path(tmp)
        async with contextlib.AsyncExitStack() as stack:
            bureaus = await stack.enter_async_context(server_process(
                _SERVERS, "bureaus", ready=root / "bureaus.json", log=root / "bureaus.log"))
            one = await stack.enter_async_context(_side(1, bureaus, root))
            two = await stack.enter_async_context(_side(2, bureaus, root))
            for side in (one, two):  # warm-up, not counted
                await closed_loop(side.requests, concurrency=CONCURRENCY, duration_s=2.0)
            for _ in range(ROUNDS):
                await _round(one, round_s)
                await _round(two, round_s)
    for side in (one, two):
        console.print(f"  {side.workers} worker(s): {side.rate():,.0f} queries/s (rounds "
                      f"{', '.join(f'{r:,.0f}' for r in side.rates)}); hub CPU "
                      f"{side.cpu_s:.1f} s for {side.queries:,} queries = "
                      f"{side.per_cpu_second():,.0f} queries per CPU-second")
    return [
        Figure("p1_workers_2_vs_1", round(two.rate(), 1), "queries/s", round(one.rate(), 1),
               ratio_of(two.rate(), one.rate()),
               ">= 1.0 of one worker (PostgreSQL, 16 in flight, P1 SOAP mix)"),
        Figure("p1_workers_cpu_efficiency", round(two.per_cpu_second(), 1),
               "queries/CPU-s", round(one.per_cpu_second(), 1),
               ratio_of(two.per_cpu_second(), one.per_cpu_second()),
               ">= 0.85 of one worker's queries per hub CPU-second"),
    ]


def run() -> list[Figure]:
    """The harness's entry point."""
    return asyncio.run(measure())


if __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else ROUND_S
    for figure in asyncio.run(measure(seconds)):
        console.print(figure)
