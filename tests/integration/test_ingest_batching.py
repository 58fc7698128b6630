"""Ingest in batches: one transaction per batch, a bad record refused alone, acks after recording.

The pipeline tests run the hub's own pipeline (:func:`build_pipeline`) on a
real SQLite store with its recorder's calls counted; the worker test runs the
in-process worker against a real nats-server and looks at every batch the
moment it is recorded.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from contracts import default_registry
from hub.adapters.nats.server import NatsServerProcess
from hub.bootstrap.federation import open_federation
from hub.bootstrap.ingest import IngestRuntime, build_pipeline, running_ingest
from hub.service_layer.ingest import IngestClient
from hub.service_layer.ingest.pipeline import IngestPipeline, Outcome, Submission
from hub.service_layer.ingest.subjects import ingest_subject
from hub.settings import HubSettings
from simulations.bench.work import Tally, count_store
from simulations.ingest_records import CONTRACT, JSON_DEPARTMENT, SOURCES, RecordFactory
from tests.integration.test_ingest import _drained, _stored

pytestmark = pytest.mark.timeout(120)
FACTORY = RecordFactory()
SUBJECT = ingest_subject("north", JSON_DEPARTMENT, CONTRACT)


def _settings(hub_settings: HubSettings, **changes: Any) -> HubSettings:
    return hub_settings.model_copy(update={"region": "north", "ingest_workers": 0,
                                           "ingest_batch": 16, "ingest_ack_wait_s": 5.0,
                                           **changes})


@pytest.fixture
def pipeline(hub_settings: HubSettings) -> Iterator[tuple[IngestPipeline, Tally]]:
    """The hub's pipeline on a fresh SQLite store, its store calls counted."""
    settings = _settings(hub_settings)
    open_federation(settings).close()
    built, federation, keyring = build_pipeline(settings, SOURCES, default_registry())
    with Tally() as tally:
        count_store(federation.app, tally)
        try:
            yield built, tally
        finally:
            federation.close()
            keyring.close()


def _batch(ids: Sequence[str], bad: dict[str, bytes]) -> list[Submission]:
    return [Submission(SUBJECT, bad.get(sid, FACTORY.json(n)), sid, "json")
            for n, sid in enumerate(ids)]


def test_a_bad_record_is_refused_alone_and_the_batch_is_one_transaction(
    pipeline: tuple[IngestPipeline, Tally],
) -> None:
    """Ten submissions, two bad: eight records and two refusals land in one write."""
    process, tally = pipeline
    ids = [f"b-{n}" for n in range(10)]
    bad = {"b-3": b'{"holder": ', "b-7": b'{"holder": {}, "periods": []}'}
    outcomes = process.process(_batch(ids, bad))
    assert [o.status for o in outcomes] == [
        "rejected" if sid in bad else "recorded" for sid in ids]
    assert {o.notice["code"] for o in outcomes if o.status == "rejected"} == {
        "json-invalid", "schema-violation"}  # truncated JSON: the strict reader's code
    assert tally["write_transactions"] == 1
    assert tally["events_written"] == 8 * 2 + 2  # Issued + Attested per record; one refusal each
    assert tally["aggregate_loads"] == 0


def test_a_redelivered_batch_records_only_what_is_new(
    pipeline: tuple[IngestPipeline, Tally],
) -> None:
    """The same batch again with two new submissions: the stored ones come out as duplicates
    (with their stored attestation), the refusal is not recorded twice, the new ones land."""
    process, tally = pipeline
    first = process.process(_batch([f"r-{n}" for n in range(6)], {"r-2": b"{"}))
    tally.clear()
    again = process.process(_batch([f"r-{n}" for n in range(8)], {"r-2": b"{"}))
    assert [o.status for o in again] == (
        ["duplicate", "duplicate", "rejected"] + ["duplicate"] * 3 + ["recorded"] * 2)
    stored = {o.submission_id: o.notice["attestation"] for o in first if o.status == "recorded"}
    assert all(o.notice["attestation"] == stored[o.submission_id]
               for o in again if o.status == "duplicate")
    # One attempt that conflicts (7 records and a refusal), then one write of the 2 new only.
    assert tally["write_transactions"] == 2
    assert tally["events_written"] == (7 * 2 + 1) + 2 * 2


class AckWatch:
    """At each batch's "recorded" step: how many acks the worker had sent, and how many
    records the store held (a step hook: called on the worker's loop, synchronously)."""

    def __init__(self, settings: HubSettings) -> None:
        self.settings = settings
        self.runtime: IngestRuntime | None = None
        self.seen: list[tuple[int, int, int]] = []  # (acks sent, records stored, batch size)

    def __call__(self, step: str, outcomes: Sequence[Outcome]) -> None:
        if step != "recorded" or self.runtime is None or self.runtime.in_process is None:
            return
        acks = self.runtime.in_process.work["acks"]
        self.seen.append((acks, _stored(self.settings)["issued"], len(outcomes)))


async def test_a_batch_is_acked_only_after_its_events_are_recorded(
    nats_server: NatsServerProcess, hub_settings: HubSettings,
) -> None:
    """When a batch is recorded, no submission of it has been acked yet: every ack sent so
    far is for a record already in the store before this batch."""
    settings = _settings(hub_settings)
    watch = AckWatch(settings)
    items = [(f"a-{n}", FACTORY.json(n)) for n in range(64)]
    async with running_ingest(settings, SOURCES, nats_server.url, on_step=watch) as runtime:
        watch.runtime = runtime
        async with await IngestClient.connect(nats_server.url, region="north",
                                              department=JSON_DEPARTMENT) as client:
            await client.submit_many(CONTRACT, items, fmt="json")
        state = await _drained(nats_server.url, "north", expect_acked=64)
        assert runtime.in_process is not None
        work = dict(runtime.in_process.work)
    assert state.empty and state.acked_through == 64
    assert len(watch.seen) >= 64 // 16 and sum(size for *_, size in watch.seen) == 64
    for acks, stored, size in watch.seen:
        assert acks <= stored - size, (acks, stored, size)
    assert work["acks"] == 64 and work["naks"] == 0
    assert work["thread_handoffs"] == work["batches"] == len(watch.seen)
