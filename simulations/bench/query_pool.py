"""P1 and P5 with ``serve --workers 2`` on the embedded defaults (SQLite, the parent's nats-server).

One Python process is held to one core by the GIL: on this machine's two cores
the single hub process of :mod:`simulations.bench.query` leaves most of the
second core to the client and the bureaus. Here the region runs as an operator
would run it on two cores: ``interop-hub serve --workers 2`` on one SQLite data
folder, no ``HUB_STORE``, no ``HUB_NATS_URL`` (the parent runs the region's
nats-server; one worker relays, by a file lease). The client and the mix are
P1's, and direct and mediated rounds alternate as there.

- ``p1_mediated_vs_direct_workers_2``: mediated throughput with two hub processes over
  direct throughput. Goal >= 0.25 (issue 13), as ``p1_mediated_vs_direct``.
- ``p5_latency_p99_ms_workers_2``: p99 at half of that mediated maximum, open loop.
- ``hub_cpu_ms_workers_2``: CPU of every hub process (parent included) per mediated query,
  from ``/proc``.

``python -m simulations.bench.query_pool [SECONDS]`` runs it alone (SECONDS per round).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

from rich.console import Console

from hub.adapters.nats.server import free_port
from hub.settings import HubSettings
from simulations.bench.figures import Figure, ratio_of
from simulations.bench.hub_workers import serve, services_file
from simulations.bench.processes import cpu_seconds, hub_processes, server_process
from simulations.bench.query import (
    CLIENT,
    LATENCY_S,
    ROUND_S,
    ROUNDS,
    SERVICE,
    checked,
    closed,
    direct_requests,
    mediated_requests,
)
from simulations.traffic.clients import client_headers
from simulations.traffic.http_pipe import Prepared
from simulations.traffic.runner import open_loop

WORKERS = 2
_SERVERS = "simulations.bench.query_servers"

console = Console(width=None if sys.stdout.isatty() else 132)


async def measure(round_s: float = ROUND_S) -> list[Figure]:
    """The bureaus and a two-worker hub; alternating direct and mediated rounds, then P5."""
    with tempfile.TemporaryDirectory(prefix="bench-pool-") as tmp:
        root = Path(tmp)
        async with server_process(_SERVERS, "bureaus", ready=root / "bureaus.json",
                                  log=root / "bureaus.log") as bureaus:
            data = root / "hub"
            settings = HubSettings(data=data, region="north")
            identity = await asyncio.to_thread(client_headers, settings, CLIENT, [SERVICE])
            services = services_file(
                root, f"{bureaus['social_security']}/ws/insurance?wsdl", bureaus["tax"])
            env = {**os.environ, "HUB_DATA": str(data), "HUB_HTTP_PORT": str(free_port()),
                   "HUB_LOG_FORMAT": "json", "HUB_LOG_LEVEL": "warning"}
            for name in ("HUB_STORE", "HUB_NATS_URL"):
                env.pop(name, None)
            async with serve(env, services, data, WORKERS, root / "hub.log") as served:
                pids = hub_processes(served.process.pid)  # workers and parent
                direct = direct_requests(bureaus["social_security"])
                mediated = mediated_requests(served.url, identity)
                return await _rounds(direct, mediated, pids, round_s)


async def _rounds(direct: list[Prepared], mediated: list[Prepared], pids: list[int],
                  round_s: float) -> list[Figure]:
    await closed(direct, 1.0, "warm-up direct")
    await closed(mediated, 2.0, "warm-up mediated")
    direct_rates: list[float] = []
    mediated_rates: list[float] = []
    queries, cpu_s = 0, 0.0
    for _ in range(ROUNDS):
        direct_rates.append((await closed(direct, round_s, "direct")).rate())
        before = await asyncio.to_thread(cpu_seconds, pids)
        tally = await closed(mediated, round_s, "mediated")
        cpu_s += await asyncio.to_thread(cpu_seconds, pids) - before
        mediated_rates.append(tally.rate())
        queries += tally.total().completed
    direct_rate = sum(direct_rates) / ROUNDS
    mediated_rate = sum(mediated_rates) / ROUNDS
    rate = mediated_rate / 2
    latency = checked(await open_loop(mediated, rate=rate, duration_s=LATENCY_S,
                                       max_in_flight=512), "latency")
    p50, p95, p99 = (round(q or 0.0, 2) for q in latency.total().quantiles())
    cpu_ms = 1000 * cpu_s / max(queries, 1)
    rounds = ", ".join(f"{r:,.0f}" for r in mediated_rates)
    console.print(f"  {WORKERS} workers: direct {direct_rate:,.0f}/s (rounds "
                  f"{', '.join(f'{r:,.0f}' for r in direct_rates)}); mediated "
                  f"{mediated_rate:,.0f}/s (rounds {rounds})"
                  f"; hub CPU {cpu_ms:.2f} ms per query; open loop at {rate:,.0f}/s: "
                  f"p50 {p50:.1f}, p95 {p95:.1f}, p99 {p99:.1f} ms")
    at = f"open loop at {rate:,.0f}/s (half the two-worker maximum)"
    return [
        Figure("p1_mediated_vs_direct_workers_2", round(mediated_rate, 1), "queries/s",
               round(direct_rate, 1), ratio_of(mediated_rate, direct_rate),
               ">= 0.25 of direct (serve --workers 2 on SQLite, 16 in flight, P1 mix)"),
        Figure("p5_latency_p99_ms_workers_2", p99, "ms", None, None, f"< 20 ms; {at}"),
        Figure("hub_cpu_ms_workers_2", round(cpu_ms, 2), "ms per query", None, None,
               "informational: every hub process's CPU (parent included) per mediated query"),
    ]


def run() -> list[Figure]:
    """The harness's entry point."""
    return asyncio.run(measure())


if __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else ROUND_S
    for figure in asyncio.run(measure(seconds)):
        console.print(figure)
