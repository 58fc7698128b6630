"""The work behind one ingested record, counted (``ingest_work`` in ``bench-results.json``).

Two counts, each through the production code with its real collaborators
wrapped by counters (:mod:`simulations.bench.work`):

- the pipeline's: :data:`PIPELINE_RECORDS` submissions per format through the
  hub's :class:`~hub.service_layer.ingest.pipeline.IngestPipeline` (batches of the hub's
  size) on its own store and key store — store transactions, events written,
  aggregate loads, key-store reads, payload parses;
- the worker's: :data:`WORKER_RECORDS` submissions per format through a hub
  whose ingest worker runs in its own process (``HUB_INGEST_WORKERS=0``), so
  that the worker's counters (:attr:`~hub.service_layer.ingest.worker.IngestWorker.work`) can
  be read — JetStream fetch requests, notices published (confirmed, pipelined),
  acks, flushes and thread hand-offs.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from contracts import Contract, default_registry
from hub.bootstrap.federation import open_federation
from hub.bootstrap.ingest import build_pipeline
from hub.entrypoints.serve import run_hub
from hub.service_layer.ingest.pipeline import IngestPipeline, Submission
from hub.service_layer.ingest.sources import Source, SourceBook
from hub.service_layer.ingest.store import RecordStore
from hub.service_layer.ingest.subjects import ingest_subject
from hub.settings import HubSettings
from simulations.bench.figures import Work
from simulations.bench.work import Tally, count_key_store, count_store
from simulations.ingest_records import CONTRACT, SOURCES

PIPELINE_RECORDS = 1024
WORKER_RECORDS = 1024
NAMES = ("write_transactions", "read_transactions", "aggregate_loads", "events_written",
         "key_store_reads", "payload_parses", "thread_handoffs", "fetch_requests",
         "notice_publishes", "acks", "flushes")

Rate = Callable[[str, Any, str, Sequence[bytes]], Any]


class CountingBook:
    """A source book whose decoders count each call: one parse of one payload."""

    def __init__(self, book: SourceBook, tally: Tally) -> None:
        self._book = book
        self._tally = tally
        self._sources: dict[tuple[str, str], Source] = {}

    def get(self, department: str, contract: str) -> Source:
        key = (department, contract)
        if key not in self._sources:
            source = self._book.get(department, contract)
            self._sources[key] = dataclasses.replace(source, decode=self._counted(source.decode))
        return self._sources[key]

    def _counted(self, decode: Callable[[bytes], Contract]) -> Callable[[bytes], Contract]:
        def counted(raw: bytes) -> Contract:
            self._tally["payload_parses"] += 1
            return decode(raw)

        return counted


def pipeline_work(settings: HubSettings, fmt: str, department: str,
                  bodies: Sequence[bytes]) -> dict[str, float]:
    """Store, key-store and parsing work per record of the hub's ingest pipeline."""
    open_federation(settings).close()  # the region's keys, as running_ingest makes them
    pipeline, federation, keyring = build_pipeline(settings, SOURCES, default_registry())
    subject = ingest_subject(settings.region, department, CONTRACT)
    try:
        with Tally() as tally:
            count_store(federation.app, tally)
            count_key_store(keyring.store, tally)
            book = CountingBook(SourceBook(SOURCES, default_registry(),
                                           max_bytes=settings.ingest_max_bytes), tally)
            counted = IngestPipeline(RecordStore(federation.app), federation.keys, keyring,
                                     book, max_bytes=settings.ingest_max_bytes)  # type: ignore[arg-type]
            batch = settings.ingest_batch
            for first in range(0, PIPELINE_RECORDS, batch):
                counted.process([Submission(subject, bodies[n % len(bodies)],
                                            f"work-{fmt}-{n}", fmt)
                                 for n in range(first, min(first + batch, PIPELINE_RECORDS))])
    finally:
        del pipeline  # only its store and keys are used: the counted pipeline shares them
        federation.close()
        keyring.close()
    return tally.per(PIPELINE_RECORDS)


async def worker_work(settings: HubSettings, bodies: dict[str, Sequence[bytes]],
                      access: Callable[[Any], Any], rate: Rate) -> dict[str, dict[str, float]]:
    """The in-process worker's I/O per record, per format (``access``/``rate``: the
    benchmark's own credentials and timed submission, so the path is the same)."""
    found = {}
    in_process = settings.model_copy(update={"ingest_workers": 0})
    async with run_hub(in_process, [], ingest=SOURCES) as hub:
        assert hub.ingest is not None
        credentials = await access(hub)
        for _ in range(600):  # the worker is built off the loop as the hub starts: ≤ 30 s
            if hub.ingest.in_process is not None:
                break
            await asyncio.sleep(0.05)
        worker = hub.ingest.in_process
        if worker is None:
            raise RuntimeError("the in-process ingest worker did not start within 30 s")
        for fmt, sent in bodies.items():
            before = dict(worker.work)
            await rate(hub.nats_url, credentials, fmt, sent[:WORKER_RECORDS])
            tally = Tally()
            tally.update({k: v - before.get(k, 0) for k, v in worker.work.items()})
            found[fmt] = tally.per(len(sent[:WORKER_RECORDS]))
    return found


def ingest_work(pipeline: dict[str, dict[str, float]],
                worker: dict[str, dict[str, float]]) -> Work:
    """Both counts per record and format, as one object."""
    counts: dict[str, Any] = {}
    for fmt in pipeline:
        merged = {**pipeline[fmt], **worker.get(fmt, {})}
        counts[fmt] = {name: merged.get(name, 0.0) for name in
                       dict.fromkeys([*NAMES, *sorted(merged)])}
    return Work("ingest_work", "record", counts)
