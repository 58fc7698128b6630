"""Backup of a running hub, and what a restored region does on a fresh NATS.

A query is in flight (the bureau is slow) when the backup is taken, online; the
restored region runs on a new, empty JetStream (its NATS store was never backed
up) and the relay publishes the in-flight exchange again, so it is answered. The
region's Object Store buckets go into the backup through NATS and come back,
byte for byte, on another server.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from uuid import UUID

import httpx
import nats
import pytest

from hub.adapters.backup.buckets import bucket_prefix
from hub.adapters.crypto.kek import read_kek_file
from hub.adapters.nats.server import NatsServerConfig, NatsServerProcess
from hub.adapters.store.ledger import Ledger
from hub.bootstrap.privacy import build_ledger
from hub.service_layer.backup import restore_backup, take_backup
from hub.service_layer.backup.take import NatsAccess
from hub.settings import HubSettings
from tests.integration.backup_fixtures import region_folder
from tests.integration.hub_fixtures import auth_headers, running_region
from tests.waiting import wait_until_async

SS = "north/social-security/contribution-history"
QUERY = {"national_id": "19800101-1234", "period_start": "2000-01-01", "period_end": "2026-12-31"}
KEY = os.urandom(32)


async def _query(hub, client: str = "north/tax") -> httpx.Response:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(f"{hub.http_url}/services/{SS}", content=json.dumps(QUERY),
                               headers=auth_headers(hub, client,
                                                    **{"Content-Type": "application/json"}))


def _topics_of(ledger: Ledger, exchange_id: UUID) -> list[str]:
    return [type(e).__name__ for e in ledger.history(exchange_id)]


def _topics(hub, exchange_id: UUID) -> list[str]:  # type: ignore[no-untyped-def]
    return _topics_of(hub.ledger, exchange_id)


async def test_an_exchange_in_flight_at_backup_is_answered_after_restore_on_a_fresh_nats(
    hub_settings: HubSettings, tmp_path: Path
) -> None:
    """Online backup mid-query; restore; the relay republishes the routed, unanswered
    exchange to the new JetStream and the bureau answers it."""
    async with running_region(hub_settings) as region:
        hub = region.hub
        warm = await _query(hub)
        assert warm.status_code == 200, warm.text
        region.social_security.delay_s = 3.0
        in_flight = asyncio.ensure_future(_query(hub))
        await wait_until_async(lambda: region.social_security.calls >= 2, timeout_s=10,
                               interval_s=0.02, message="the bureau got the second query")
        report = await take_backup(hub_settings.data, None, "north", tmp_path / "backup",
                                   KEY, kek=read_kek_file(hub_settings.data / "keys" / "kek"),
                                   nats=None)
        answered = await in_flight
        assert answered.status_code == 200, answered.text
        exchange = UUID(answered.headers["X-Exchange-Id"])
    assert report.manifest.events > 0

    restored = HubSettings(data=tmp_path / "restored", reply_timeout_s=20,
                           retry_backoff_s=0.05, log_format="json")
    kek = read_kek_file(hub_settings.data / "keys" / "kek")
    done = await restore_backup(tmp_path / "backup", KEY, restored.data, None, kek=kek)
    assert done.audit is not None and done.audit.ok, done.audit
    assert done.relay_from >= 0, "the in-flight exchange is republished"
    assert not (restored.data / "nats").exists()
    (restored.data / "keys" / "kek").write_bytes((hub_settings.data / "keys" / "kek").read_bytes())
    (restored.data / "keys" / "kek").chmod(0o600)
    ledger = build_ledger(restored)
    try:
        assert "Responded" not in _topics_of(ledger, exchange), "answered after the backup"
    finally:
        ledger.close()
    async with running_region(restored) as again:
        await wait_until_async(lambda: "Responded" in _topics(again.hub, exchange),
                               timeout_s=20, interval_s=0.05,
                               message="the in-flight exchange answered after restore")
        assert again.social_security.calls >= 1
        assert _topics(again.hub, exchange).count("Responded") == 1


@pytest.fixture
def second_nats(tmp_path: Path):  # type: ignore[no-untyped-def]
    server = NatsServerProcess(NatsServerConfig(name="restored", workdir=tmp_path / "nats2"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_the_region_buckets_are_backed_up_and_restored_through_nats(
    tmp_path: Path, nats_server: NatsServerProcess, second_nats: NatsServerProcess
) -> None:
    """Objects of hub-north-* buckets (one of 3 MiB, several sealed chunks) come back
    identical on another server; another region's bucket is left out."""
    settings = region_folder(tmp_path / "north", rounds=1)
    big, small = os.urandom(3 * 1024 * 1024 + 17), b"a small document"
    documents = f"{bucket_prefix('north')}documents"
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        store = await js.create_object_store(documents)
        await store.put("big.pdf", big)
        await store.put("small.txt", small)
        await (await js.create_object_store("hub-south-documents")).put("theirs", b"not ours")
    finally:
        await nc.drain()
    kek = read_kek_file(settings.data / "keys" / "kek")
    report = await take_backup(settings.data, None, "north", tmp_path / "b", KEY, kek=kek,
                               nats=NatsAccess(nats_server.url, {}))
    assert report.manifest.buckets.startswith("2 objects of 1 buckets"), report.manifest.buckets

    offline = await restore_backup(tmp_path / "b", KEY, tmp_path / "r0", None, kek=kek)
    assert offline.objects == 0 and "NOT restored" in offline.notes[0]
    shutil.rmtree(tmp_path / "r0")
    done = await restore_backup(tmp_path / "b", KEY, tmp_path / "r", None, kek=kek,
                                nats=NatsAccess(second_nats.url, {}))
    assert done.objects == 2
    nc = await nats.connect(second_nats.url)
    try:
        js = nc.jetstream()
        store = await js.object_store(documents)
        assert (await store.get("big.pdf")).data == big
        assert (await store.get("small.txt")).data == small
        names = [s.config.name for s in await js.streams_info()]
        assert "OBJ_hub-south-documents" not in names
    finally:
        await nc.drain()


async def test_with_the_embedded_server_the_cli_finds_the_buckets_and_puts_them_back(
    hub_settings: HubSettings, tmp_path: Path
) -> None:
    """`backup` beside a running hub reads its buckets from the embedded nats-server (found in
    the data folder, as the hub's own NATS user); `restore --objects-only` puts them into the
    restored region's new server once its hub runs."""
    import base64

    from typer.testing import CliRunner

    from hub.entrypoints.cli.main import app

    env = {k: None for k in os.environ if k.startswith("HUB_")}
    key = tmp_path / "backup.key"
    key.write_text(base64.b64encode(KEY).decode())
    document = os.urandom(200_000)
    bucket = f"{bucket_prefix('north')}documents"

    def cli(*args: str | Path) -> str:
        done = CliRunner().invoke(app, [str(a) for a in args], env=env)
        assert done.exit_code == 0, done.output
        return done.output

    async with running_region(hub_settings) as region:
        nc = await nats.connect(region.hub.nats_url, **region.hub.nats_auth)
        try:
            # the region's documents bucket, made by the running hub's document store
            await (await nc.jetstream().object_store(bucket)).put("a.pdf", document)
        finally:
            await nc.drain()
        said = await asyncio.to_thread(cli, "backup", "--data", hub_settings.data, "--to",
                                       tmp_path / "b", "--key-file", key)
        assert "1 objects of 1 buckets named hub-north-*" in said, said
    restored = HubSettings(data=tmp_path / "r", log_format="json", reply_timeout_s=20)
    said = await asyncio.to_thread(cli, "restore", "--from", tmp_path / "b", "--data",
                                   restored.data, "--key-file", key, "--kek-file",
                                   hub_settings.data / "keys" / "kek")
    assert "1 checkpoints" in said or "checkpoints over" in said
    async with running_region(restored) as again:
        said = await asyncio.to_thread(cli, "restore", "--from", tmp_path / "b", "--data",
                                       restored.data, "--key-file", key, "--objects-only")
        assert "restored 1 objects" in said, said
        nc = await nats.connect(again.hub.nats_url, **again.hub.nats_auth)
        try:
            got = await (await nc.jetstream().object_store(bucket)).get("a.pdf")
        finally:
            await nc.drain()
        assert got.data == document
