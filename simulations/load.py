"""``interop-hub simulate load``: a mixed workload at a fixed rate against N regions' hubs.

Kinds of request, cycled in this order per region (open loop, fixed-rate
arrivals, latency measured from when each was due):

- ``soap-query``: a TaxClearanceQuery to the hub's SOAP ingress (JSON bureau behind);
- ``json-query``: a ContributionHistoryQuery as JSON to ``/services/...`` (SOAP
  bureau behind), spread over the region's social-security departments;
- ``record``: ``POST /records/<contribution history>`` by the region's
  social-security department: one notification exchange to the tax inbox;
- ``recognition`` (N > 1, north only): the same issuance by
  ``north/social-security``, covered by the agreement with south, so its
  attestation is sent to south and recognised there. After the run the summary
  waits (bounded) until south has recognised as many as north issued.

Every request goes to loopback servers started here; the run is bounded by
``rate * duration`` requests, at most 512 in flight, and a drain time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.live import Live
from rich.table import Table

from hub.settings import HubSettings
from simulations.federation_scenarios import CONTRIBUTIONS
from simulations.load_regions import LoadRegion, load_regions
from simulations.traffic.clients import client_headers
from simulations.traffic.http_pipe import Prepared, prepare
from simulations.traffic.mix import (
    CLEARANCE_QUESTIONS,
    HISTORY_QUESTIONS,
    JSON_HEADERS,
    SOAP_HEADERS,
    history_record,
    hub_clearance_soap,
    hub_history_json,
)
from simulations.traffic.runner import open_loop
from simulations.traffic.tally import KindTally, Tally

KINDS = ("soap-query", "json-query", "record", "recognition")
MAX_IN_FLIGHT = 512
_RECOGNITION_WAIT_S = 30.0
_VARIANTS = 8  # distinct request bodies per kind and region


@dataclass(frozen=True)
class LoadPlan:
    """What ``simulate load`` was asked to do."""

    regions: int
    departments: int
    rate: float  # requests per second, all kinds and regions together
    duration_s: float


def region_requests(region: LoadRegion, *, issues_recognised: bool) -> list[list[Prepared]]:
    """Per round: one request of each kind this region takes (``_VARIANTS`` rounds)."""
    settings, url, name = region.hub.settings, region.hub.http_url, region.name
    taxer, insurer = f"{name}/tax", f"{name}/social-security"
    as_taxer = client_headers(settings, taxer, region.history_services)
    as_insurer = client_headers(settings, insurer, region.clearance_services)
    rounds = []
    for i in range(_VARIANTS):
        service = region.history_services[i % len(region.history_services)]
        soap = prepare("soap-query", url, "/soap",
                       hub_clearance_soap(*CLEARANCE_QUESTIONS[i % len(CLEARANCE_QUESTIONS)]),
                       {**SOAP_HEADERS, "SOAPAction": '"TaxClearance"', **as_insurer})
        json = prepare("json-query", url, f"/services/{service}",
                       hub_history_json(*HISTORY_QUESTIONS[i % len(HISTORY_QUESTIONS)]),
                       {**JSON_HEADERS, **as_taxer})
        record = prepare("recognition" if issues_recognised else "record", url,
                         f"/records/{CONTRIBUTIONS}", history_record(i),
                         {**JSON_HEADERS, **as_insurer}, expect=202)
        rounds.append([soap, json, record])
    return rounds


def workload(regions: Sequence[LoadRegion]) -> list[Prepared]:
    """The requests of every region, interleaved round by round."""
    federated = len(regions) > 1
    per_region = [region_requests(r, issues_recognised=federated and r.name == "north")
                  for r in regions]
    return [request for i in range(_VARIANTS) for rounds in per_region for request in rounds[i]]


async def run_load(settings: HubSettings, plan: LoadPlan, console: Console) -> int:
    """Start the regions, drive the workload, print the summary; 0 when nothing failed."""
    async with load_regions(settings, regions=plan.regions,
                            departments=plan.departments) as running:
        for region in running:
            console.print(f"{region.name}: hub {region.hub.http_url}  "
                          f"departments {plan.departments}  data {region.hub.settings.data}",
                          highlight=False)
        before = [await r.recognised() for r in running]
        console.print(f"load: {plan.rate:g} requests/s for {plan.duration_s:g} s "
                      f"({round(plan.rate * plan.duration_s)} requests)", highlight=False)
        with Live(_progress(Tally(), 0.0, plan), console=console, refresh_per_second=4,
                  transient=True) as live:
            tally = await open_loop(
                workload(running), rate=plan.rate, duration_s=plan.duration_s,
                max_in_flight=MAX_IN_FLIGHT,
                progress=lambda t, s: live.update(_progress(t, s, plan)))
        recognised = await _await_recognitions(running, before, tally)
        for line in summary_lines(tally, recognised):
            console.print(line, highlight=False)
        errors = tally.total().error_count + max(0, recognised[1] - recognised[0])
        return 0 if errors == 0 else 1
    return 1  # pragma: no cover - the block always returns


async def _await_recognitions(running: Sequence[LoadRegion], before: Sequence[int],
                              tally: Tally) -> tuple[int, int]:
    """(recognised, expected): peers' new recognitions, awaited until they match or time out."""
    expected = tally.of("recognition").completed if len(running) > 1 else 0
    deadline = time.monotonic() + _RECOGNITION_WAIT_S
    while True:
        got = sum([await r.recognised() for r in running]) - sum(before)
        if got >= expected or time.monotonic() > deadline:
            return got, expected
        await asyncio.sleep(0.2)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"


def kind_line(kind: str, tally: KindTally, elapsed_s: float) -> str:
    """``json-query: 40 completed, 0 errors, 8.0/s, p50 9.1 ms, p95 ..., p99 ...``."""
    p50, p95, p99 = tally.quantiles()
    rate = tally.completed / elapsed_s if elapsed_s else 0.0
    errors = ", ".join(f"{n} {why}" for why, n in tally.errors.items())
    return (f"{kind}: {tally.completed} completed, {tally.error_count} errors"
            f"{f' ({errors})' if errors else ''}, {rate:.1f}/s, "
            f"p50 {_ms(p50)}, p95 {_ms(p95)}, p99 {_ms(p99)}")


def summary_lines(tally: Tally, recognised: tuple[int, int]) -> list[str]:
    """One line per kind, the total, and the recognitions confirmed by peers."""
    lines = [kind_line(kind, tally.kinds[kind], tally.elapsed_s)
             for kind in (*KINDS, "unfinished") if kind in tally.kinds]
    lines.append(kind_line("total", tally.total(), tally.elapsed_s))
    got, expected = recognised
    if expected:
        lines.append(f"recognitions: {got} of {expected} issued recognised by peers")
    return lines


def _progress(tally: Tally, elapsed_s: float, plan: LoadPlan) -> Table:
    table = Table(title=f"load {elapsed_s:5.1f} s of {plan.duration_s:g} s")
    for column in ("kind", "completed", "errors", "p50", "p99"):
        table.add_column(column)
    for kind, kt in sorted(tally.kinds.items()):
        p50, _, p99 = kt.quantiles()
        table.add_row(kind, str(kt.completed), str(kt.error_count), _ms(p50), _ms(p99))
    return table
