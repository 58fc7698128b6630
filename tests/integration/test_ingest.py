"""Durable ingest against a real nats-server and a real SQLite store: exactly once, per record.

Every test submits through the department's client (:class:`IngestClient`),
the same public path a department uses, and counts what the store holds
afterwards: records (Issued events), attestations, refusals, and the notices
on the records stream.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nats
import nkeys
import pytest
from structlog.testing import capture_logs

from hub.adapters.nats.accounts import inbox_prefix
from hub.adapters.nats.server import NatsServerProcess
from hub.bootstrap.federation import open_federation
from hub.bootstrap.ingest import running_ingest
from hub.domain.credential import CredentialKind
from hub.domain.ingest import RejectedSubmission, record_id_of
from hub.domain.record import Record
from hub.entrypoints.serve import run_hub
from hub.service_layer.ingest import IngestClient
from hub.service_layer.ingest.errors import IngestClientError
from hub.service_layer.ingest.streams import Backlog, backlog, ensure_streams
from hub.service_layer.ingest.subjects import ingest_subject, records_stream
from hub.settings import HubSettings
from simulations.ingest_records import (
    CONTRACT,
    JSON_DEPARTMENT,
    SOAP_DEPARTMENT,
    SOURCES,
    RecordFactory,
)
from tests.integration.ingest_faults import FailOnce, kill_once_at
from tests.waiting import wait_until_async

pytestmark = pytest.mark.timeout(120)
FACTORY = RecordFactory()


def _settings(hub_settings: HubSettings, **changes: Any) -> HubSettings:
    return hub_settings.model_copy(update={"ingest_workers": 0, "ingest_batch": 64,
                                           "ingest_ack_wait_s": 1.5, **changes})


def _stored(settings: HubSettings) -> dict[str, int]:
    """How many of each ingest event the region's federation store holds."""
    federation = open_federation(settings, create=False)
    try:
        recorder = federation.app.recorder
        counts = {}
        for name, topic in (("issued", Record.Issued.TOPIC), ("attested", Record.Attested.TOPIC),
                            ("rejected", RejectedSubmission.Rejected.TOPIC)):
            counts[name] = len(recorder.select_notifications(1, 1_000_000, topics=(topic,)))
        return counts
    finally:
        federation.close()


def _rejections(settings: HubSettings) -> dict[str, RejectedSubmission]:
    federation = open_federation(settings, create=False)
    try:
        found = {}
        for n in federation.app.recorder.select_notifications(
                1, 10_000, topics=(RejectedSubmission.Rejected.TOPIC,)):
            agg = federation.app.repository.get(n.originator_id)
            found[agg.submission_id] = agg
        return found
    finally:
        federation.close()


async def _drained(url: str, region: str, *, expect_acked: int, within_s: float = 60) -> Backlog:
    """Wait (bounded) until the consumer has acked everything up to ``expect_acked``."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()

        async def acked() -> Backlog | None:
            state = await backlog(js, region)
            return state if state.empty and state.acked_through >= expect_acked else None

        return await wait_until_async(acked, timeout_s=within_s, interval_s=0.1,
                                      message=f"the ingest backlog acked through {expect_acked}")
    finally:
        await nc.close()


async def _submit(url: str, department: str, fmt: str, items: Sequence[tuple[str, bytes]],
                  contract: str = CONTRACT) -> None:
    async with await IngestClient.connect(url, region="north", department=department) as client:
        receipts = await client.submit_many(contract, items, fmt=fmt)
    assert all(not r.duplicate for r in receipts)


async def _notices(url: str, department: str, expect: int) -> list[dict[str, Any]]:
    async with await IngestClient.connect(url, region="north", department=department) as client:
        return await client.outcomes(expect, timeout_s=10)


async def _announced(url: str) -> int:
    """Every notice the records stream holds (after JetStream's duplicate window)."""
    nc = await nats.connect(url)
    try:
        info = await nc.jetstream().stream_info(records_stream("north"))
        return int(info.state.messages)
    finally:
        await nc.close()


async def test_good_records_through_the_hub_are_recorded_exactly_once(
    hub_settings: HubSettings, nats_server: NatsServerProcess,
) -> None:
    """Two worker processes record SOAP and JSON submissions once each, attested and announced.

    The hub uses a test server without users (``HUB_NATS_URL``): departments' NATS
    permissions are tested in test_nats_identity; here the ingest path is.
    """
    settings = hub_settings.model_copy(update={"ingest_workers": 2, "ingest_batch": 50,
                                               "nats_url": nats_server.url})
    soap = [(f"s-{n}", FACTORY.soap(n)) for n in range(150)]
    pensions = [(f"j-{n}", FACTORY.json(n)) for n in range(150)]
    async with run_hub(settings, [], ingest=SOURCES) as hub:
        assert hub.ingest is not None and len(hub.ingest.processes) == 2
        await asyncio.gather(_submit(hub.nats_url, SOAP_DEPARTMENT, "soap", soap),
                             _submit(hub.nats_url, JSON_DEPARTMENT, "json", pensions))
        state = await _drained(hub.nats_url, "north", expect_acked=300)
        notices = await _notices(hub.nats_url, SOAP_DEPARTMENT, 150)
        announced = await _announced(hub.nats_url)
    assert state.empty and state.acked_through == 300
    assert _stored(settings) == {"issued": 300, "attested": 300, "rejected": 0}
    assert len(notices) == 150 and announced == 300  # each record announced once
    assert {n["record_id"] for n in notices} == {
        record_id_of("north", SOAP_DEPARTMENT, f"s-{n}") for n in range(150)}
    assert all(n["kind"] == "issued" and n["attestation"].count(".") == 2 for n in notices)
    assert all("Andersson" not in str(n) for n in notices)  # references only, no content


async def test_a_batch_redelivered_after_recording_is_not_recorded_twice(
    nats_server: NatsServerProcess, hub_settings: HubSettings,
) -> None:
    """A worker that recorded and announced a batch but failed before acking: redelivered, once."""
    settings = _settings(hub_settings)
    hook = FailOnce("published")
    items = [(f"r-{n}", FACTORY.json(n)) for n in range(40)]
    async with running_ingest(settings, SOURCES, nats_server.url, on_step=hook) as runtime:
        await _submit(nats_server.url, JSON_DEPARTMENT, "json", items)
        state = await _drained(nats_server.url, "north", expect_acked=40)
        announced = await _announced(nats_server.url)
    assert hook.failed_batches == 1
    assert state.empty
    assert runtime.in_process is not None
    counts = runtime.in_process.counts
    assert counts["duplicate"] >= 1 and counts["recorded"] + counts["duplicate"] >= 40
    assert _stored(settings) == {"issued": 40, "attested": 40, "rejected": 0}
    assert announced == 40  # the re-announcement kept its message id: JetStream dropped it


async def test_bad_records_in_a_batch_are_refused_and_recorded_while_the_rest_succeed(
    nats_server: NatsServerProcess, hub_settings: HubSettings,
) -> None:
    """Malformed XML, schema violations, unknown contract, oversize: each refused by name."""
    settings = _settings(hub_settings, ingest_max_bytes=8 * 1024)
    good = FACTORY.soap(1)
    wrong_element = good.replace(b"GetInsuranceRecordResponse", b"GetInsuranceRecordRequest")
    bad_date = good.replace(b"<ns1:BeginDt>", b"<ns1:BeginDt>99.", 1)
    bad_soap = [("bad-xml", good[:-40]), ("bad-element", wrong_element),
                ("bad-date", bad_date), ("too-big", good + b" " * 9000),
                ("doctype", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>' + good[38:])]
    bad_json = [("bad-json", b'{"holder": '), ("bad-shape", b'{"holder": {}, "periods": []}')]
    nc = await nats.connect(nats_server.url)
    await ensure_streams(nc.jetstream(), "north")
    await nc.close()
    # Everything is queued before the worker starts, so good and bad share batches.
    soap_items = [("ok-0", good), *bad_soap, ("ok-1", FACTORY.soap(2))]
    await _submit(nats_server.url, SOAP_DEPARTMENT, "soap", soap_items)
    await _submit(nats_server.url, JSON_DEPARTMENT, "json",
                  [("ok-2", FACTORY.json(3)), *bad_json])
    await _submit(nats_server.url, JSON_DEPARTMENT, "json", [("no-contract", FACTORY.json(4))],
                  contract="tax.unknown-thing@1.0")
    async with running_ingest(settings, SOURCES, nats_server.url):
        state = await _drained(nats_server.url, "north", expect_acked=11)
        soap_notices = await _notices(nats_server.url, SOAP_DEPARTMENT, 7)
    assert state.empty
    assert _stored(settings) == {"issued": 3, "attested": 3, "rejected": 8}
    refused = _rejections(settings)
    codes = {sid: r.code for sid, r in refused.items()}
    assert codes == {
        "bad-xml": "malformed-input", "bad-element": "schema-violation",
        "bad-date": "schema-violation", "too-big": "payload-too-large",
        "doctype": "malformed-input", "bad-json": "json-invalid",
        "bad-shape": "schema-violation", "no-contract": "unknown-ingest-source",
    }
    assert all(r.issues and r.issues[0]["path"] for r in refused.values())
    assert "BeginDt" in str(refused["bad-date"].issues)
    assert {n["kind"] for n in soap_notices} == {"issued", "rejected"}
    assert len(soap_notices) == 7


HOSTILE_JSON = {
    "deep": (b"[" * 20_000 + b"]" * 20_000, "json-too-deep"),
    "deep-object": (b'{"a":' * 20_000 + b"1" + b"}" * 20_000, "json-too-deep"),
    "duplicate-key": (b'{"holder": {}, "holder": {}}', "json-duplicate-key"),
    "nan": (b'{"holder": NaN}', "json-non-finite"),
    "overflow": (b'{"holder": 1e999999}', "json-non-finite"),
    "long-number": (b'{"holder": ' + b"1" * 10_000 + b"}", "json-number-too-long"),
    "utf-16": ('{"holder": {}}'.encode("utf-16"), "json-not-utf8"),
    "bom": (b'\xef\xbb\xbf{"holder": {}}', "json-not-utf8"),
    "trailing-comma": (b'{"holder": {},}', "json-invalid"),
    "nul": (b'{"holder": "\x00"}', "json-invalid"),
}


async def test_hostile_json_submissions_are_refused_by_code_and_recorded(
    nats_server: NatsServerProcess, hub_settings: HubSettings,
) -> None:
    """Ingest reads JSON with the strict reader too: each attack refused with its json-* code,
    recorded as a rejected submission, and the good submission beside them is recorded."""
    settings = _settings(hub_settings, ingest_max_bytes=256 * 1024)
    nc = await nats.connect(nats_server.url)
    await ensure_streams(nc.jetstream(), "north")
    await nc.close()
    items = [(name, body) for name, (body, _) in HOSTILE_JSON.items()]
    await _submit(nats_server.url, JSON_DEPARTMENT, "json", [*items, ("ok", FACTORY.json(5))])
    async with running_ingest(settings, SOURCES, nats_server.url):
        state = await _drained(nats_server.url, "north", expect_acked=len(items) + 1)
    assert state.empty
    assert _stored(settings) == {"issued": 1, "attested": 1, "rejected": len(items)}
    codes = {sid: r.code for sid, r in _rejections(settings).items()}
    assert codes == {name: code for name, (_, code) in HOSTILE_JSON.items()}


async def test_a_worker_killed_before_acking_is_redelivered_and_recorded_once(
    nats_server: NatsServerProcess, hub_settings: HubSettings, tmp_path: Path,
) -> None:
    """kill -9 of a worker process between recording and acking: restarted, applied once."""
    settings = _settings(hub_settings, ingest_workers=1, ingest_ack_wait_s=2.0)
    marker = tmp_path / "killed"
    hook = functools.partial(kill_once_at, "recorded", str(marker))
    items = [(f"k-{n}", FACTORY.soap(n)) for n in range(120)]
    async with running_ingest(settings, SOURCES, nats_server.url, on_step=hook) as runtime:
        await _submit(nats_server.url, SOAP_DEPARTMENT, "soap", items)
        state = await _drained(nats_server.url, "north", expect_acked=120)
        announced = await _announced(nats_server.url)
    killed_batch = int(marker.read_text())
    print(f"sent 120, killed holding {killed_batch}, restarts {runtime.restarts}, "
          f"announced {announced}, acked through {state.acked_through}")
    assert marker.exists() and killed_batch >= 1
    assert runtime.restarts == 1
    assert state.empty and state.acked_through == 120
    assert _stored(settings) == {"issued": 120, "attested": 120, "rejected": 0}
    assert announced == 120


async def test_a_department_submits_as_its_own_nats_user_on_the_embedded_server(
    hub_settings: HubSettings,
) -> None:
    """On the hub's own server (users rendered from credentials) social-security submits
    with the nkey seed its credential came with, and its records are recorded; the same
    user may not publish to pensions' ingest subject."""
    settings = _settings(hub_settings, nats_users_refresh_s=0.1)
    items = [(f"own-{n}", FACTORY.soap(n)) for n in range(40)]
    async with run_hub(settings, [], ingest=SOURCES) as hub:
        assert hub.credentials is not None
        issued = hub.credentials.issue(f"north/{SOAP_DEPARTMENT}", CredentialKind.DEPARTMENT,
                                       dt.timedelta(hours=1))
        assert issued.nats_seed is not None
        seed = issued.nats_seed.decode()
        client = await wait_until_async(  # until the server has reloaded its users
            lambda: IngestClient.connect(hub.nats_url, region="north",
                                         department=SOAP_DEPARTMENT, seed=seed),
            timeout_s=15, interval_s=0.1, ignoring=(IngestClientError,),
            message=f"{SOAP_DEPARTMENT}'s ingest connection with its new seed")
        async with client:
            receipts = await client.submit_many(CONTRACT, items, fmt="soap")
        assert len(receipts) == 40 and not any(r.duplicate for r in receipts)

        errors: list[str] = []

        async def on_error(exc: Exception) -> None:
            errors.append(str(exc).lower())

        nc = await nats.connect(hub.nats_url, nkeys_seed_str=seed, error_cb=on_error,
                                inbox_prefix=inbox_prefix(SOAP_DEPARTMENT),
                                allow_reconnect=False)
        try:
            await nc.publish(ingest_subject("north", JSON_DEPARTMENT, CONTRACT), FACTORY.json(0))

            async def refused() -> bool:
                await nc.flush(timeout=2)
                return any("permissions violation" in e for e in errors)

            await wait_until_async(refused, timeout_s=5, message="a permissions violation")
        finally:
            await nc.close()
        await wait_until_async(  # bounded: 30 s for the worker to record them
            lambda: _stored(settings)["issued"] >= 40, timeout_s=30, interval_s=0.2,
            in_thread=True, message="the 40 submitted records issued")
    assert _stored(settings) == {"issued": 40, "attested": 40, "rejected": 0}
    assert any(f"hub.north.ingest.{JSON_DEPARTMENT}" in e for e in errors), errors


async def test_a_department_with_a_seed_the_server_does_not_know_gets_one_clear_error(
    hub_settings: HubSettings, caplog: pytest.LogCaptureFixture,
) -> None:
    """A department whose nkey the region's server does not know is refused with the
    client's own error naming the server's reason, logged as one structured line, not
    nats-py's traceback."""
    settings = _settings(hub_settings, nats_users_refresh_s=0.1)
    stranger = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER).decode("ascii")
    async with run_hub(settings, [], ingest=SOURCES) as hub:
        with capture_logs() as logged, pytest.raises(IngestClientError) as refused:
            await IngestClient.connect(hub.nats_url, region="north",
                                       department=SOAP_DEPARTMENT, seed=stranger)
    assert "Authorization Violation" in refused.value.message
    assert not [r for r in caplog.records if r.exc_info]  # no traceback anywhere
    assert any(e["event"] == "nats connection error" and "Authorization Violation" in e["error"]
               for e in logged), logged
