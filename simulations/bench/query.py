"""P1 and P5: SOAP queries through the hub, beside the same client calling the bureau directly.

Three processes share the machine: the emulated bureaus, one region's hub
(``run_hub``: embedded nats-server, SQLite ledger, relay, delivery worker), and
this client (:mod:`simulations.traffic`: prebuilt requests on keep-alive
connections). The client asks the same four contribution histories either of
the hub's SOAP ingress (contract XML) or of the bureau's legacy endpoint
(``GetInsuranceRecordRequest``), 16 in flight.

- P1 ``p1_mediated_vs_direct``: mediated throughput / direct throughput, in
  alternating rounds (direct, hub, direct, hub) so a shared machine weighs on
  both. Goal >= 0.5.
- P5 ``p5_latency_p99_ms``: latency percentiles of the hub at half the mediated
  maximum, open loop (fixed-rate arrivals, measured from when each was due),
  bounded in time. Goal p99 < 20 ms.
- ``http_loopback_floor``: the same client against an empty endpoint: what this
  machine's loopback HTTP costs before any SOAP, the raw limit under both.
- ``query_work``: the hub's work per successful mediated query over the mediated
  rounds: event-store write and read transactions, aggregate loads, key-store
  reads and thread hand-offs, from the counters the hub's own code increments
  (:mod:`hub.work`), read before and after each round, and the hub process's
  CPU milliseconds per query (``hub_cpu_ms``: what bounds one process's
  throughput, and what a shared machine's load moves least). Background work
  (the projections' follower, /health) done during a round is included.

``python -m simulations.bench.query [SECONDS]`` runs it alone (SECONDS per round).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from hub.settings import HubSettings
from simulations.bench.figures import Figure, ratio_of
from simulations.bench.processes import server_process
from simulations.bench.query_servers import NULL_PATH, WORK_PATH
from simulations.traffic.clients import client_headers
from simulations.traffic.http_pipe import Prepared, prepare
from simulations.traffic.mix import (
    HISTORY_QUESTIONS,
    SOAP_HEADERS,
    bureau_history_soap,
    hub_history_soap,
)
from simulations.traffic.runner import closed_loop, open_loop
from simulations.traffic.tally import Tally

CONCURRENCY = 16
ROUND_S = 5.0
ROUNDS = 2  # of each side, alternating
LATENCY_S = 10.0
SERVICE = "north/social-security/contribution-history"
CLIENT = "north/tax"
_SERVERS = "simulations.bench.query_servers"
TMPFS = Path("/dev/shm")  # noqa: S108 - a fresh TemporaryDirectory inside, removed after

console = Console(width=None if sys.stdout.isatty() else 132)


def direct_requests(bureau_url: str) -> list[Prepared]:
    """The mix as the bureau's own SOAP, to its endpoint."""
    wsdl_path = "/ws/insurance"
    headers = {**SOAP_HEADERS, "SOAPAction": '"GetInsuranceRecord"'}
    return [prepare("direct", bureau_url, wsdl_path, bureau_history_soap(*q), headers)
            for q in HISTORY_QUESTIONS]


def mediated_requests(hub_url: str, identity: dict[str, str]) -> list[Prepared]:
    """The mix as contract SOAP, to the hub's SOAP ingress, as ``CLIENT``."""
    headers = {**SOAP_HEADERS, "SOAPAction": '"ContributionHistory"', **identity}
    return [prepare("mediated", hub_url, "/soap", hub_history_soap(*q), headers)
            for q in HISTORY_QUESTIONS]


def checked(tally: Tally, what: str) -> Tally:
    """``tally``, or an error naming ``what`` failed and how, when any request failed."""
    total = tally.total()
    if total.error_count:
        raise RuntimeError(f"{what}: {total.error_count} errors {dict(total.errors)}")
    return tally


async def closed(requests: list[Prepared], seconds: float, what: str) -> Tally:
    """A closed-loop round of ``seconds``, ``CONCURRENCY`` in flight, checked."""
    return checked(await closed_loop(requests, concurrency=CONCURRENCY, duration_s=seconds),
                    what)


class WorkFigure(Figure):
    """``query_work``: an object of counts per successful query, not one number."""

    def __init__(self, work: dict[str, float], queries: int) -> None:
        super().__init__("query_work", work["write_transactions"], "per successful query",
                         None, None, "<= 3 write transactions, 0 aggregate loads (warm path)")
        self.work = work
        self.queries = queries

    def as_json(self) -> dict[str, Any]:
        return {**self.work, "queries": self.queries, "unit": self.unit, "goal": self.goal}


async def _work(url: str) -> dict[str, float]:
    async with httpx.AsyncClient(timeout=10) as http:
        counts: dict[str, float] = (await http.get(f"{url}{WORK_PATH}")).json()
        return counts


async def measure(round_s: float = ROUND_S) -> list[Figure]:
    """Run the three processes and measure P1, P5 and the loopback floor."""
    with tempfile.TemporaryDirectory(prefix="bench-query-") as tmp:
        root = Path(tmp)
        async with server_process(_SERVERS, "bureaus", ready=root / "bureaus.json",
                                  log=root / "bureaus.log") as bureaus:
            async with _hub(bureaus, root, root / "hub") as (hub_url, identity, work):
                figures = await _rounds(bureaus, hub_url, identity, work, round_s)
            # The same hub without the cost of fsync, to show its share.
            if await asyncio.to_thread(TMPFS.is_dir):
                with tempfile.TemporaryDirectory(prefix="bench-query-", dir=TMPFS) as shm:
                    async with _hub(bureaus, root, Path(shm) / "hub") as (hub_url, identity,
                                                                           _):
                        figures.append(await _tmpfs_round(bureaus, hub_url, identity, round_s))
            return figures


@contextlib.asynccontextmanager
async def _hub(bureaus: dict[str, str], root: Path, data: Path
               ) -> AsyncIterator[tuple[str, dict[str, str], str]]:
    """The hub process with its data in ``data``; yields its URL, the client's headers and
    the URL of its work counters."""
    settings = HubSettings(data=data, region="north")
    identity = client_headers(settings, CLIENT, [SERVICE])
    name = f"hub-{data.parent.name}"
    async with server_process(
        _SERVERS, "hub", "--data", str(settings.data),
        "--social-security", f"{bureaus['social_security']}/ws/insurance?wsdl",
        "--tax", bureaus["tax"], ready=root / f"{name}.json", log=root / f"{name}.log",
    ) as hub:
        yield hub["hub"], identity, hub["work"]


async def _rounds(bureaus: dict[str, str], hub_url: str, identity: dict[str, str],
                  work_url: str, round_s: float) -> list[Figure]:
    direct = direct_requests(bureaus["social_security"])
    mediated = mediated_requests(hub_url, identity)
    null = [prepare("null", bureaus["null"], NULL_PATH, b"x" * 600, SOAP_HEADERS)]
    await closed(direct, 1.0, "warm-up direct")
    await closed(mediated, 2.0, "warm-up mediated")
    floor = (await closed(null, round_s, "loopback floor")).rate()
    work: dict[str, float] = {}
    direct_rate, mediated_rate, mediated_runs = await _alternate(direct, mediated, round_s,
                                                                 work_url, work)
    rate = mediated_rate / 2
    latency = checked(await open_loop(mediated, rate=rate, duration_s=LATENCY_S,
                                       max_in_flight=512), "latency")
    p50, p95, p99 = latency.total().quantiles()
    closed_p50, _, closed_p99 = mediated_runs[-1].total().quantiles()
    console.print(f"  loopback floor {floor:,.0f}/s; open loop at {rate:,.0f}/s for "
                  f"{LATENCY_S:.0f} s: {latency.total().completed:,} answered, "
                  f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms "
                  f"(closed loop, 16 in flight: p50 {closed_p50:.1f}, p99 {closed_p99:.1f})")
    queries = sum(t.total().completed for t in mediated_runs)
    per_query = {k: round(v / max(queries, 1), 2) for k, v in work.items()}
    console.print(f"  work per mediated query ({queries:,} queries): {per_query}")
    return [*_figures(floor, direct_rate, mediated_rate, rate, (p50, p95, p99)),
            WorkFigure(per_query, queries)]


async def _alternate(direct: list[Prepared], mediated: list[Prepared], round_s: float,
                     work_url: str | None = None, work: dict[str, float] | None = None,
                     ) -> tuple[float, float, list[Tally]]:
    """Direct and mediated rounds in turn; (direct rate, mediated rate, mediated tallies).

    With ``work_url``, the hub's work counted during the mediated rounds is added to
    ``work``.
    """
    direct_runs, mediated_runs = [], []
    for _ in range(ROUNDS):
        direct_runs.append(await closed(direct, round_s, "direct"))
        before = await _work(work_url) if work_url else {}
        mediated_runs.append(await closed(mediated, round_s, "mediated"))
        if work_url and work is not None:
            after = await _work(work_url)
            for key, value in after.items():
                work[key] = work.get(key, 0) + value - before.get(key, 0)
    direct_rate = sum(t.rate() for t in direct_runs) / ROUNDS
    mediated_rate = sum(t.rate() for t in mediated_runs) / ROUNDS
    console.print(f"  direct {direct_rate:,.0f}/s "
                  f"(rounds {', '.join(f'{t.rate():,.0f}' for t in direct_runs)}); "
                  f"mediated {mediated_rate:,.0f}/s "
                  f"(rounds {', '.join(f'{t.rate():,.0f}' for t in mediated_runs)})")
    return direct_rate, mediated_rate, mediated_runs


async def _tmpfs_round(bureaus: dict[str, str], hub_url: str, identity: dict[str, str],
                       round_s: float) -> Figure:
    direct = direct_requests(bureaus["social_security"])
    mediated = mediated_requests(hub_url, identity)
    await closed(mediated, 2.0, "warm-up mediated (tmpfs)")
    direct_rate, mediated_rate, _ = await _alternate(direct, mediated, round_s)
    return Figure("p1_mediated_vs_direct_tmpfs", round(mediated_rate, 1), "queries/s",
                  round(direct_rate, 1), ratio_of(mediated_rate, direct_rate),
                  f"informational: hub data in {TMPFS} (no fsync cost; not a deployment)")


def _figures(floor: float, direct: float, mediated: float, rate: float,
             quantiles: tuple[float | None, ...]) -> list[Figure]:
    p50, p95, p99 = (round(q or 0.0, 2) for q in quantiles)
    at = f"open loop at {rate:,.0f}/s (half the mediated maximum)"
    return [
        Figure("p1_mediated_vs_direct", round(mediated, 1), "queries/s", round(direct, 1),
               ratio_of(mediated, direct), ">= 0.5 of direct (16 in flight, same mix)"),
        Figure("p5_latency_p99_ms", p99, "ms", None, None, f"< 20 ms; {at}"),
        Figure("p5_latency_p50_ms", p50, "ms", None, None, f"informational; {at}"),
        Figure("p5_latency_p95_ms", p95, "ms", None, None, f"informational; {at}"),
        Figure("http_loopback_floor", round(floor, 1), "requests/s", None, None,
               "raw limit: same client, empty endpoint, 16 in flight"),
    ]


def run() -> list[Figure]:
    """The harness's entry point."""
    return asyncio.run(measure())


if __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else ROUND_S
    for figure in asyncio.run(measure(seconds)):
        console.print(figure)
