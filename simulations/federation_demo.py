"""``interop-hub demo --regions N``: N regions, each its own hub, joined by NATS leaf nodes.

Every region (north, south, east, west, centre — the first N) gets its own
data folder ``DIR/<region>``, event store, embedded nats-server with its own
JetStream domain, keys, HTTP port and emulated departments, all through the
same ``run_hub`` a deployment uses. The first region's server accepts the
others' leaf links (a star; see :mod:`hub.adapters.peers`). Then:

1. each region runs its own scenario, as the one-region demo does;
2. each region asks the next one round the ring the steps of
   :data:`simulations.cross_region.PAIR_STEPS` (cross-region queries, JSON and SOAP);
3. each region signs an audit checkpoint and waits until its peers hold it,
   verified (checkpoint gossip);
4. south runs a one-stop relocation case with north's contribution record
   (:mod:`simulations.demo_case`) and prints its timeline;
5. it prints the steps, a table per region, and per region the lines of
   :data:`REGION_LINES` (``north: exchanges: ...``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import httpx
from rich.console import Console
from rich.table import Table

from hub.adapters.peers import REGION_NAMES, star_settings
from hub.entrypoints.serve import Hub, run_hub
from hub.service_layer.audit import Auditor
from hub.service_layer.exchanges.routing import ServiceDefinition, dump_services
from hub.service_layer.exchanges.views import Totals, summaries, totals
from hub.settings import HubSettings
from simulations.credentials import issue_demo_tokens
from simulations.cross_region import PAIR_STEPS, DemoRegion
from simulations.demo_case import RELOCATION, case_region, run_case, start_case_desks
from simulations.demo_documents import certificate_across_regions
from simulations.departments import grant_demo_rights, region_services, start_departments
from simulations.federation_scenarios import demo_federation
from simulations.scenario import Scenario, Step, StepResult

_LINK_WAIT_S = 30.0
_GOSSIP_WAIT_S = 15.0


@dataclass
class RunningRegion:
    """One region of the demo while it runs, and what it did."""

    name: str
    hub: Hub
    results: list[StepResult]
    exchanges_before: int = 0
    checkpoint_size: int = 0
    tokens: dict[str, str] = field(default_factory=dict)  # its departments' bearer tokens

    @property
    def demo(self) -> DemoRegion:
        """What cross-region steps need of it."""
        return DemoRegion(self.name, self.hub.http_url, self.tokens)


# Per-region summary lines, printed last, in this order ("north: recognised N, refused M" later).
RegionLine = Callable[[RunningRegion], Awaitable[str]]


async def exchange_line(region: RunningRegion) -> str:
    """``north: exchanges: 10 completed, 4 rejected, 0 failed`` (this run's exchanges)."""
    summary = await _totals(region)
    return (f"{region.name}: exchanges: {summary.completed} completed, "
            f"{summary.rejected} rejected, {summary.failed} failed")


REGION_LINES: list[RegionLine] = [exchange_line]


async def run_federation_demo(
    settings: HubSettings, *, regions: int, keep_running: bool, console: Console
) -> int:
    """Run the multi-region demo; 0 when every step met its expectation and gossip verified."""
    names = REGION_NAMES[:regions]
    async with contextlib.AsyncExitStack() as stack:
        desks = await start_case_desks(stack)
        running = [await _start(stack, *case_region(s, desks, RELOCATION))
                   for s in star_settings(settings, names, settings.data)]
        await _await_links(running)
        _print_where(console, running)
        for region in running:
            region.results = await Scenario(
                region.hub.http_url, region.name, region.hub.settings.max_payload_bytes,
                region.tokens,
            ).run()
        pair_results = await _run_pairs(running)
        gossip_ok = await _gossip(running)
        federation = await demo_federation(  # records recognised across regions, reconciled
            [(r.hub.settings, r.hub.federation) for r in running if r.hub.federation],
            pair_results, lambda text: console.print(text, highlight=False))
        across = await certificate_across_regions(
            running[0].hub, running[0].tokens, {r.name: (r.hub, r.tokens) for r in running[1:]})
        case = await run_case({r.name: r.hub for r in running}, RELOCATION, running[1].tokens)
        console.print(_steps_table(running, pair_results))
        console.print(await _regions_table(running))
        for text in federation.count_lines:  # "north: recognised N, refused M"
            console.print(text, highlight=False)
        console.print(across.line, highlight=False, markup=False, soft_wrap=True)
        for text in case.lines():
            console.print(text, highlight=False, markup=False, soft_wrap=True)
        for line in REGION_LINES:
            for region in running:
                console.print(await line(region), highlight=False)
        if keep_running:
            console.print("running; press Ctrl-C to stop")
            await asyncio.Event().wait()
        steps = [r for region in running for r in region.results] + pair_results
        pending = [(await _totals(region)).pending for region in running]
        ok = (all(r.ok for r in steps) and gossip_ok and federation.ok and across.ok
              and case.ok)
        return 0 if ok and not any(pending) else 1
    return 1  # pragma: no cover - the block always returns


async def _start(stack: contextlib.AsyncExitStack, settings: HubSettings,
                 case_services: Sequence[ServiceDefinition]) -> RunningRegion:
    endpoints = await start_departments(stack)
    services = [*region_services(settings.region, endpoints), *case_services]
    settings.data.mkdir(parents=True, exist_ok=True)
    (settings.data / "services.toml").write_text(dump_services(services))
    hub = await stack.enter_async_context(run_hub(settings, services))
    assert hub.access is not None  # the demo departments' rights, peers' included
    await asyncio.to_thread(grant_demo_rights, hub.access, settings.region, settings.peers)
    before = await asyncio.to_thread(lambda: sum(1 for _ in hub.ledger.exchange_ids()))
    tokens = await issue_demo_tokens(
        hub, [f"{settings.region}/tax", f"{settings.region}/social-security"])
    return RunningRegion(settings.region, hub, [], before, tokens=tokens)


async def _await_links(running: Sequence[RunningRegion]) -> None:
    """Every region has learnt every peer's catalogue (the leaf links are up)."""
    for region in running:
        links = region.hub.links
        if links is None:
            continue
        catalogue = links.parts.catalogue
        if not await catalogue.wait_until_learnt(links.directory.peers, _LINK_WAIT_S):
            missing = [p for p in links.directory.peers if not links.directory.knows_peer(p)]
            raise TimeoutError(f"{region.name} could not reach {', '.join(missing)}")


def _ring(running: Sequence[RunningRegion]) -> list[tuple[RunningRegion, RunningRegion]]:
    """Each region asks the next; with two regions, that is both directions."""
    return [(running[i], running[(i + 1) % len(running)]) for i in range(len(running))]


async def _run_pairs(running: Sequence[RunningRegion]) -> list[StepResult]:
    results = []
    async with httpx.AsyncClient(timeout=60) as http:
        for asking, answering in _ring(running):
            for build in PAIR_STEPS:
                for step in build(asking.demo, answering.demo, http):
                    results.append(await _run_step(step))
    return results


async def _run_step(step: Step) -> StepResult:
    started = time.perf_counter()
    got, detail = await step.run()
    elapsed = (time.perf_counter() - started) * 1000
    return StepResult(step.name, step.via, step.client, step.service, step.expected, got,
                      detail, elapsed)


async def _gossip(running: Sequence[RunningRegion]) -> bool:
    """Each region signs a checkpoint; True once every peer holds it, verified."""
    for region in running:
        checkpoint = await asyncio.to_thread(Auditor.from_settings(region.hub.settings).checkpoint)
        region.checkpoint_size = checkpoint.size
    deadline = time.monotonic() + _GOSSIP_WAIT_S
    while time.monotonic() < deadline:
        if await asyncio.to_thread(lambda: all(_holds_all(r, running) for r in running)):
            return True
        await asyncio.sleep(0.2)
    return False


def _held_sizes(region: RunningRegion) -> dict[str, int]:
    """The size of each peer's checkpoint this region holds (-1: none yet)."""
    links = region.hub.links
    if links is None:
        return {}
    store = links.parts.gossip.held
    sizes = {}
    for peer in links.directory.peers:
        verifier = store.verifier(peer)
        held = store.held(peer, verifier) if verifier else None
        sizes[peer] = held.size if held else -1
    return sizes


def _holds_all(region: RunningRegion, running: Sequence[RunningRegion]) -> bool:
    sizes = _held_sizes(region)
    return all(sizes.get(p.name, -1) >= p.checkpoint_size for p in running if p is not region)


async def _totals(region: RunningRegion) -> Totals:
    ledger = region.hub.ledger
    rows = await asyncio.to_thread(lambda: list(summaries(ledger))[region.exchanges_before:])
    return totals(rows)


def _print_where(console: Console, running: Sequence[RunningRegion]) -> None:
    centre = running[0].hub.settings
    console.print(
        f"regions: {', '.join(r.name for r in running)} — joined by NATS leaf nodes "
        f"(a star: {centre.region} listens on 127.0.0.1:{centre.leaf_port}, the others dial it)"
    )
    for region in running:
        hub = region.hub
        console.print(f"{region.name}: hub {hub.http_url}  nats {hub.nats_url}  "
                      f"data {hub.settings.data}", highlight=False)


def _steps_table(running: Sequence[RunningRegion], pairs: list[StepResult]) -> Table:
    table = Table(title="scenario")
    for column in ("region", "step", "via", "client", "service", "expected", "got", "ms"):
        table.add_column(column)
    rows = [(r.name, s) for r in running for s in r.results]
    rows += [(s.client.split("/", 1)[0], s) for s in pairs]
    for region, s in rows:
        got = s.got if s.ok else f"[red]{s.got} (unexpected)[/red]"
        table.add_row(region, s.name, s.via, s.client, s.service, s.expected, got,
                      f"{s.elapsed_ms:.1f}")
    return table


async def _regions_table(running: Sequence[RunningRegion]) -> Table:
    table = Table(title="regions")
    for column in ("region", "exchanges", "p95 ms", "checkpoint", "peers' checkpoints held",
                   "audit alarms", "data"):
        table.add_column(column)
    for region in running:
        summary = await _totals(region)
        held = await asyncio.to_thread(_held_sizes, region)
        links = region.hub.links
        alarms = len(await asyncio.to_thread(links.parts.alarms.alarms)) if links else 0
        table.add_row(
            region.name,
            str(summary.total),
            "-" if summary.p95_ms is None else f"{summary.p95_ms:.1f}",
            f"size {region.checkpoint_size}",
            ", ".join(f"{peer}@{size}" for peer, size in held.items()),
            str(alarms),
            str(region.hub.settings.data),
        )
    return table
