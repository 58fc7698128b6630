"""Cases throughput: one-stop cases of three query steps through a running hub, beside the
single-query rate of the same hub measured in the same run.

The processes are the query benchmark's: the emulated bureaus, one region's hub started
by ``run_hub`` (embedded nats-server, SQLite ledger, relay, delivery worker), here with
one case type declared (``HUB_CASES``), and this client. The case type's three steps are
independent queries of ``north/social-security/contribution-history``, the service the
query benchmark asks; the region's one-stop desk is granted it, as a deployment grants
it. A portal files cases (``POST /cases``, 16 in flight); each answer comes once the
case is completed (the engine sends the three steps at once, each an exchange through
the normal path, and records their answers).

- ``cases_throughput``: cases submitted and completed per second, against a third of the
  mediated single-query rate (16 in flight, same hub) measured in alternating rounds.
  Goal >= 0.8: a case costs little beyond its three queries.
- ``cases_work``: the hub's work per case over the case rounds (event-store write and
  read transactions, aggregate loads, ...; :mod:`hub.work`) and its CPU milliseconds;
  the work of three single queries (over the query rounds) is printed beside it.

After the rounds every case the portal filed must be completed (listed by the hub).

``python -m simulations.bench.cases [SECONDS]`` runs it alone (SECONDS per round).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from hub.settings import HubSettings
from simulations.bench.figures import Figure, Work, ratio_of
from simulations.bench.processes import server_process
from simulations.bench.query import CONCURRENCY, SERVICE, _work, closed, mediated_requests
from simulations.traffic.clients import client_headers
from simulations.traffic.http_pipe import Prepared, prepare
from simulations.traffic.mix import HISTORY_QUESTIONS
from simulations.traffic.tally import Tally

ROUND_S = 5.0
ROUNDS = 2  # of each side, alternating
CLIENT = "north/tax"  # the single queries' client, as in the query benchmark
PORTAL = "north/portal"  # files the cases
DESK = "north/one-stop"  # the client of every case step (hub.bootstrap.cases)
CASE_TYPE = "bench-three-queries@1.0"
ROOT = Path(__file__).resolve().parents[2]
_SERVERS = "simulations.bench.query_servers"

_CASE_TYPE_FILE = f"""
[case_type]
id = "{CASE_TYPE}"
title = "Three records checked at once (benchmark)"
application = "relocation.application@1.0"
region = "north"
time_limit = "5 working days"
calendars = "{ROOT / 'deploy' / 'calendars'}"
""" + "".join(f"""
[[step]]
name = "{name}"
service = "{SERVICE}"
purpose = "benefit-eligibility"
mode = "query"
time_limit = "1 working day"
[step.input]
national_id = "application.national_id"
period_start = "application.insured_since"
period_end = "application.move_date"
""" for name in ("first", "second", "third")) + """
[result]
contract = "case.result@1.0"
steps = []
"""


def case_requests(hub_url: str, portal: dict[str, str]) -> list[Prepared]:
    """One application per person the bureau knows, filed by the portal."""
    headers = {"Content-Type": "application/json", **portal}
    return [prepare("case", hub_url, "/cases", json.dumps({
        "case_type": CASE_TYPE, "application": {
            "national_id": national_id, "family_name": "Rossi", "given_names": "Maria",
            "origin_region": "north", "destination_region": "south",
            "new_address": "Via Roma 1", "move_date": str(end),
            "insured_since": str(start), "vehicle_plate": "AB123CD"}}).encode(),
                    headers, expect=201) for national_id, start, end in HISTORY_QUESTIONS]


async def measure(round_s: float = ROUND_S) -> list[Figure | Work]:
    """Run the three processes; measure cases/s beside single queries/s."""
    with tempfile.TemporaryDirectory(prefix="bench-cases-") as tmp:
        root = Path(tmp)
        async with server_process(_SERVERS, "bureaus", ready=root / "bureaus.json",
                                  log=root / "bureaus.log") as bureaus, \
                _hub(bureaus, root) as (hub_url, identities, work_url):
            return await _rounds(hub_url, identities, work_url, round_s)


@contextlib.asynccontextmanager
async def _hub(bureaus: dict[str, str], root: Path
               ) -> AsyncIterator[tuple[str, dict[str, dict[str, str]], str]]:
    """The hub process running the benchmark's case type; yields its URL, the client's and
    the portal's headers, and the URL of its work counters."""
    folder = root / "cases"
    folder.mkdir()
    (folder / "bench-three-queries.toml").write_text(_CASE_TYPE_FILE)
    settings = HubSettings(data=root / "hub", region="north")
    identities = {CLIENT: client_headers(settings, CLIENT, [SERVICE]),
                  PORTAL: client_headers(settings, PORTAL, []),
                  DESK: client_headers(settings, DESK, [SERVICE])}  # the desk's right
    async with server_process(
        _SERVERS, "hub", "--data", str(settings.data), "--cases", str(folder),
        "--social-security", f"{bureaus['social_security']}/ws/insurance?wsdl",
        "--tax", bureaus["tax"], ready=root / "hub.json", log=root / "hub.log",
    ) as hub:
        yield hub["hub"], identities, hub["work"]


async def _rounds(hub_url: str, identities: dict[str, dict[str, str]], work_url: str,
                  round_s: float) -> list[Figure | Work]:
    queries = mediated_requests(hub_url, identities[CLIENT])
    cases = case_requests(hub_url, identities[PORTAL])
    await closed(queries, 2.0, "warm-up queries")
    filed = (await closed(cases, 2.0, "warm-up cases")).total().completed
    query_rates: list[float] = []
    case_rates: list[float] = []
    work: dict[str, dict[str, float]] = {"queries": {}, "cases": {}}
    done = {"queries": 0, "cases": 0}
    for _ in range(ROUNDS):
        for side, requests, rates in (("queries", queries, query_rates),
                                      ("cases", cases, case_rates)):
            before = await _work(work_url)
            tally: Tally = await closed(requests, round_s, side)
            after = await _work(work_url)
            for key, value in after.items():
                work[side][key] = work[side].get(key, 0) + value - before.get(key, 0)
            rates.append(tally.rate())
            done[side] += tally.total().completed
    filed += done["cases"]
    await _check_completed(hub_url, identities[PORTAL], filed)
    query_rate, case_rate = sum(query_rates) / ROUNDS, sum(case_rates) / ROUNDS
    per_case = {k: round(v / max(done["cases"], 1), 2) for k, v in sorted(work["cases"].items())}
    per_3_queries = {k: round(3 * v / max(done["queries"], 1), 2)
                     for k, v in sorted(work["queries"].items())}
    print(f"  single queries {query_rate:,.0f}/s (rounds "
          f"{', '.join(f'{r:,.0f}' for r in query_rates)}); cases {case_rate:,.1f}/s "
          f"(rounds {', '.join(f'{r:,.1f}' for r in case_rates)}); {filed:,} cases filed, "
          f"all completed")
    print(f"  work per case ({done['cases']:,} cases): {per_case}")
    print(f"  work of three single queries: {per_3_queries}")
    reference = query_rate / 3
    return [
        Figure("cases_throughput", round(case_rate, 1), "cases/s", round(reference, 1),
               ratio_of(case_rate, reference),
               f">= 0.8 of single queries/s / 3 (3 query steps, {CONCURRENCY} in flight)"),
        Work("cases_work", "case (3 query steps)", {**per_case, "cases": done["cases"]}),
    ]


async def _check_completed(hub_url: str, portal: dict[str, str], filed: int) -> None:
    """Every case the portal filed is listed, completed (a 201 alone says only filed)."""
    async with httpx.AsyncClient(base_url=hub_url, timeout=60) as http:
        listed = (await http.get("/cases", headers=portal)).json()["cases"]
    statuses = [c["status"] for c in listed]
    if len(listed) != filed or set(statuses) != {"completed"}:
        raise RuntimeError(f"{filed} cases filed, {len(listed)} listed: "
                           f"{ {s: statuses.count(s) for s in set(statuses)} }")


def run() -> list[Figure | Work]:
    """The harness's entry point."""
    return asyncio.run(measure())


if __name__ == "__main__":
    for figure in asyncio.run(measure(float(sys.argv[1]) if len(sys.argv) > 1 else ROUND_S)):
        print(figure)
