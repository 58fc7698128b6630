"""P2: durable asynchronous ingest, end to end, beside the bare pipeline measured in the same run.

What is timed, per format (SOAP through the social-security bureau's mapping,
JSON through the pensions office's): ``BENCH_INGEST_RECORDS`` records (default
10,000) submitted through :class:`~hub.service_layer.ingest.IngestClient` — the path a
department uses — to a hub started with :func:`~hub.entrypoints.serve.run_hub`
(``ingest=SOURCES``; as many worker processes as the hub chooses, i.e. one per
core), from the first submission until the ingest consumer has acked every one
of them (only acked records count; acks follow the recorded batch and its
confirmed notices). The figure is records/s; the hub's records stream must hold
exactly one notice per record, or the benchmark fails.

Twice: with the hub's own embedded nats-server at its default settings (the
goal figures), and with a nats-server at ``sync_interval: always`` (no goal).
The reference is :mod:`simulations.bench.ingest_bare` against the same server,
one process. A per-stage profile of the hub's pipeline (in one process, µs per
record) and of the bare one is printed, with the wall time per record
multiplied by the worker processes: what is above the pipeline's sum there is
NATS (fetch, notices, acks), the processes' contention for two cores and the
client submitting at the same time. Last, the work per record is counted
(:mod:`simulations.bench.ingest_work`: store transactions, aggregate loads,
key-store reads, parses, thread hand-offs, JetStream requests) and written as
``ingest_work``.

``python -m simulations.bench.ingest`` prints the tables.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nats
from rich.console import Console
from rich.table import Table

from contracts import default_registry
from hub.adapters.nats.accounts import hub_seed
from hub.adapters.nats.server import NatsServerConfig, running_nats_server
from hub.bootstrap.federation import open_federation
from hub.bootstrap.ingest import build_pipeline
from hub.domain.credential import CredentialKind
from hub.entrypoints.serve import Hub, run_hub
from hub.logs import configure_logging
from hub.service_layer.ingest import IngestClient
from hub.service_layer.ingest.errors import IngestClientError
from hub.service_layer.ingest.pipeline import Submission
from hub.service_layer.ingest.sources import SourceBook
from hub.service_layer.ingest.streams import backlog
from hub.service_layer.ingest.subjects import ingest_subject, records_stream
from hub.settings import HubSettings
from simulations.bench.figures import Figure, Work, ratio_of
from simulations.bench.ingest_bare import measure_bare
from simulations.bench.ingest_cpu import cpu_per_record
from simulations.bench.ingest_work import ingest_work, pipeline_work, worker_work
from simulations.ingest_records import (
    CONTRACT,
    JSON_DEPARTMENT,
    SOAP_DEPARTMENT,
    SOURCES,
    RecordFactory,
)

RECORDS = int(os.environ.get("BENCH_INGEST_RECORDS", "10000"))
PROFILE_RECORDS = 2048
CHUNK = 1000  # submissions per pipelined burst of the client
REGION = "north"
GOALS = {"soap": ">= 2000/s and >= 0.6 of bare", "json": ">= 3000/s and >= 0.6 of bare"}
DEPARTMENTS = {"soap": SOAP_DEPARTMENT, "json": JSON_DEPARTMENT}


def run(records: int = RECORDS) -> list[Figure | Work]:
    """Measure both formats in both durability modes; print and return the figures."""
    configure_logging("auto", "warning")
    return asyncio.run(_run(records))


async def _run(records: int) -> list[Figure | Work]:
    console = Console(width=None if sys.stdout.isatty() else 132)
    factory = RecordFactory()
    bodies = {"soap": [factory.soap(n) for n in range(records)],
              "json": [factory.json(n) for n in range(records)]}
    rates: dict[str, float] = {}
    profiles: dict[str, dict[str, float]] = {}
    cpu: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        folder = Path(tmp)
        settings = _settings(folder / "default")
        async with run_hub(settings, [], ingest=SOURCES) as hub:  # its embedded nats-server
            workers = settings.ingest_workers
            access = await _embedded_access(hub)
            await _mode(hub.nats_url, access, folder / "bare-default", bodies, "", rates,
                        profiles, cpu)
        always = NatsServerConfig(name="bench-always", workdir=folder / "nats-always",
                                  sync_interval="always")
        async with running_nats_server(always) as server:
            settings_always = _settings(folder / "always").model_copy(
                update={"nats_url": server.url})
            async with run_hub(settings_always, [], ingest=SOURCES):
                await _mode(server.url, Access(), folder / "bare-always", bodies,
                            "_sync_always", rates, profiles, {})
        hub_profile = _hub_profile(_settings(folder / "profile"), bodies)
        work = ingest_work(
            {fmt: pipeline_work(_settings(folder / f"work-{fmt}"), fmt, DEPARTMENTS[fmt],
                                bodies[fmt]) for fmt in ("soap", "json")},
            await worker_work(_settings(folder / "work-worker"), bodies, _embedded_access,
                              _hub_rate))
    figures = _figures(rates)
    console.print(_table(figures))
    console.print(_profile_table(hub_profile, profiles, rates, workers))
    console.print(_work_table(work))
    cpu_work = Work("ingest_cpu", "record", cpu)
    console.print(_work_table(cpu_work, "CPU µs per record by process, hub at default settings "
                                        "(ingest_cpu in bench-results.json)"))
    return [*figures, work, cpu_work]


@dataclass(frozen=True)
class Access:
    """How the benchmark connects: the hub's own NATS options (streams, backlog, the bare
    reference) and each department's nkey seed; empty on a server without users."""

    admin: dict[str, Any] = field(default_factory=dict)
    seeds: dict[str, str] = field(default_factory=dict)


async def _embedded_access(hub: Hub) -> Access:
    """Department credentials issued as a region would, once the server has loaded them."""
    seeds = {}
    for department in DEPARTMENTS.values():
        issued = hub.credentials.issue(f"{REGION}/{department}", CredentialKind.DEPARTMENT,
                                       dt.timedelta(hours=2))
        assert issued.nats_seed is not None
        seeds[department] = issued.nats_seed.decode()
    async with asyncio.timeout(30):
        for department, seed in seeds.items():
            while True:  # the server re-reads its users every HUB_NATS_USERS_REFRESH_S
                try:
                    client = await IngestClient.connect(hub.nats_url, region=REGION,
                                                        department=department, seed=seed)
                    await client.close()
                    break
                except IngestClientError:
                    await asyncio.sleep(0.2)
    return Access({"nkeys_seed_str": hub_seed(hub.ledger.keyring)}, seeds)


def _settings(data: Path) -> HubSettings:
    return HubSettings(data=data, region=REGION, log_format="json", log_level="warning")


async def _mode(url: str, access: Access, bare_folder: Path, bodies: dict[str, list[bytes]],
                suffix: str, rates: dict[str, float],
                profiles: dict[str, dict[str, float]], cpu: dict[str, dict[str, float]]
                ) -> None:
    """Hub and bare rates per format; ``cpu`` gets the hub run's CPU per record by process."""
    book = SourceBook(SOURCES, default_registry(), max_bytes=1 << 20)
    for fmt in ("soap", "json"):
        rates[f"{fmt}{suffix}"], cpu[fmt] = await cpu_per_record(
            functools.partial(_hub_rate, url, access, fmt, bodies[fmt]), len(bodies[fmt]))
        decode = book.get(DEPARTMENTS[fmt], CONTRACT).decode
        rate, stages = await measure_bare(url, bare_folder / fmt, decode, bodies[fmt],
                                          auth=access.admin)
        rates[f"{fmt}{suffix}_bare"] = rate
        profiles[f"{fmt}{suffix}"] = stages


async def _hub_rate(url: str, access: Access, fmt: str, bodies: Sequence[bytes]) -> float:
    """Submitted → recorded → acked, records/s; checks one notice per record."""
    prefix = uuid.uuid4().hex[:8]
    nc = await nats.connect(url, **access.admin)
    js = nc.jetstream(timeout=10)
    notices_before = (await js.stream_info(records_stream(REGION))).state.messages
    department = DEPARTMENTS[fmt]
    client = await IngestClient.connect(url, region=REGION, department=department,
                                        seed=access.seeds.get(department))
    try:
        started = time.perf_counter()
        last = 0
        for first in range(0, len(bodies), CHUNK):
            items = [(f"{prefix}-{first + i}", body)
                     for i, body in enumerate(bodies[first:first + CHUNK])]
            last = (await client.submit_many(CONTRACT, items, fmt=fmt))[-1].sequence
        deadline = started + 300
        while True:
            state = await backlog(js, REGION)
            if state.empty and state.acked_through >= last:
                break
            if time.perf_counter() > deadline:
                raise RuntimeError(f"ingest did not finish within 300 s: {state}")
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - started
        notices = (await js.stream_info(records_stream(REGION))).state.messages - notices_before
    finally:
        await client.close()
        await nc.close()
    if notices != len(bodies):
        raise RuntimeError(f"{fmt}: {notices} notices for {len(bodies)} records")
    return len(bodies) / elapsed


def _hub_profile(settings: HubSettings, bodies: dict[str, list[bytes]]) -> dict[str, dict]:
    """The hub's pipeline in this process, µs per record per stage (no NATS)."""
    open_federation(settings).close()  # the region's keys, as running_ingest makes them
    found = {}
    for fmt in ("soap", "json"):
        pipeline, federation, keyring = build_pipeline(settings, SOURCES, default_registry())
        subject = ingest_subject(REGION, DEPARTMENTS[fmt], CONTRACT)
        batch = settings.ingest_batch
        try:
            for first in range(0, PROFILE_RECORDS, batch):
                pipeline.process([Submission(subject, bodies[fmt][n % len(bodies[fmt])],
                                             f"profile-{fmt}-{n}", fmt)
                                  for n in range(first, first + batch)])
            found[fmt] = pipeline.stages.per_record_us()
        finally:
            federation.close()
            keyring.close()
    return found


def _figures(rates: dict[str, float]) -> list[Figure]:
    figures = []
    for suffix, goals in (("", GOALS), ("_sync_always", dict.fromkeys(GOALS, "none"))):
        for fmt in ("soap", "json"):
            value, reference = rates[f"{fmt}{suffix}"], rates[f"{fmt}{suffix}_bare"]
            figures.append(Figure(f"p2_{fmt}_ingest{suffix}", round(value), "records/s",
                                  round(reference), ratio_of(value, reference), goals[fmt]))
    return figures


def _table(figures: list[Figure]) -> Table:
    table = Table(title="P2 ingest (submitted → recorded → acked) vs the bare pipeline")
    for column in ("figure", "records/s", "bare records/s", "ratio", "goal"):
        table.add_column(column)
    for f in figures:
        table.add_row(f.key, f"{f.value:,.0f}", f"{f.reference or 0:,.0f}",
                      f"{f.ratio or 0:.2f}", f.goal)
    return table


def _profile_table(hub: dict[str, dict[str, float]], bare: dict[str, dict[str, float]],
                   rates: dict[str, float], workers: int) -> Table:
    table = Table(title="µs per record per stage (hub pipeline in one process; bare pipeline)")
    table.add_column("stage")
    for fmt in ("soap", "json"):
        table.add_column(f"hub {fmt}", justify="right")
        table.add_column(f"bare {fmt}", justify="right")
    stages = list(dict.fromkeys([*hub["soap"], *bare["soap"]]))
    for stage in stages:
        row = [stage]
        for fmt in ("soap", "json"):
            row += [_us(hub[fmt].get(stage)), _us(bare[fmt].get(stage))]
        table.add_row(*row)
    sums = ["sum of stages"]
    walls = [f"wall per record × {workers} worker process(es) (hub) / × 1 (bare)"]
    for fmt in ("soap", "json"):
        sums += [_us(sum(hub[fmt].values())), _us(sum(bare[fmt].values()))]
        walls += [_us(1e6 * workers / rates[fmt]), _us(1e6 / rates[f"{fmt}_bare"])]
    table.add_row(*sums)
    table.add_row(*walls)
    return table


def _work_table(work: Work,
                title: str = "work per record (counted: ingest_work in bench-results.json)"
                ) -> Table:
    table = Table(title=title)
    table.add_column("count")
    formats = list(work.counts)
    for fmt in formats:
        table.add_column(fmt, justify="right")
    for name in work.counts[formats[0]]:
        table.add_row(name, *(f"{work.counts[fmt].get(name, 0):.4g}" for fmt in formats))
    return table


def _us(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


if __name__ == "__main__":
    run()
