"""A partition between two regions: records issued while cut off are found and repaired.

Real nats-server processes (north accepts south's leaf link, each its own
JetStream domain); records travel over :mod:`hub.adapters.peers.transport`; the
reconciliation runs offline on the two data folders.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from typer.testing import CliRunner

from hub.adapters.nats.server import NatsServerConfig, NatsServerProcess, free_port
from hub.bootstrap.privacy import build_ledger
from hub.bootstrap.reconciliation import reconcile_folders
from hub.entrypoints.cli.main import app
from hub.service_layer.federation.reconciliation import Category
from hub.settings import HubSettings
from simulations.federation_scenarios import (
    federated_regions,
    receipt_of,
)
from tests.integration.partition_helpers import issue_clearances, south_reachable

NO_GRACE = dt.timedelta(0)
CLEAN_ENV: dict[str, str | None] = {k: None for k in os.environ if k.startswith("HUB_")}


@pytest.fixture(autouse=True)
def _keep_structlog() -> Iterator[None]:
    """The CLI configures structlog for the process; put the test run's back afterwards."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[dict[str, NatsServerProcess]]:
    """north accepts south's leaf link; south keeps its client port across restarts."""
    leaf, client = free_port(), free_port()
    north = NatsServerProcess(NatsServerConfig(
        "north", tmp_path / "nats" / "north", jetstream_domain="north", leafnode_port=leaf))
    south = NatsServerProcess(NatsServerConfig(
        "south", tmp_path / "nats" / "south", jetstream_domain="south",
        leaf_remotes=[f"nats-leaf://127.0.0.1:{leaf}"],
        extra=[f'listen: "127.0.0.1:{client}"']))
    north.start()
    south.start()
    try:
        yield {"north": north, "south": south}
    finally:
        south.stop()
        north.stop()


def _settings(root: Path, region: str) -> HubSettings:
    settings = HubSettings(data=root / region, region=region, log_format="json")
    settings.data.mkdir(parents=True, exist_ok=True)
    build_ledger(settings).close()  # a region's folder has a ledger
    return settings


async def test_a_partition_gap_is_reported_exactly_repaired_and_then_clean(
    tmp_path: Path, servers: dict[str, NatsServerProcess]
) -> None:
    """Cut south off, issue in north, heal: reconcile finds the gap, --repair closes it."""
    north_s, south_s = _settings(tmp_path, "north"), _settings(tmp_path, "south")
    pairs = [(north_s, servers["north"].url), (south_s, servers["south"].url)]
    async with federated_regions(pairs) as regions:
        north = regions["north"]
        await south_reachable(north)
        delivered = await issue_clearances(north, 2, "before")
        for rid in delivered:
            assert (await receipt_of(north, rid, "south"))["outcome"] == "recognised"

        servers["south"].stop()  # the partition
        gap = await issue_clearances(north, 3, "during")
        for rid in gap:
            record = await north.link.call(north.federation.app.get_record, rid)
            assert record.attestation is not None and record.receipts == {}

        await asyncio.to_thread(servers["south"].start)  # healed
        await south_reachable(north)

    report = reconcile_folders(north_s, south_s, grace=NO_GRACE).report
    missing = report.of(Category.MISSING)
    assert sorted(f.key for f in missing) == sorted(str(rid) for rid in gap), report.summary()
    assert {(f.kind, f.holder, f.other) for f in missing} == {("attestation", "north", "south")}
    assert report.counts == {"missing": 3, "duplicated": 0, "divergent": 0, "pending": 0}

    runner = CliRunner()
    args = ["reconcile", "--data", str(north_s.data), "--peer-data", str(south_s.data),
            "--grace", "0"]
    repaired = runner.invoke(app, [*args, "--repair"], env=CLEAN_ENV)
    assert repaired.exit_code == 0, repaired.output
    again = runner.invoke(app, args, env=CLEAN_ENV)
    assert again.exit_code == 0, again.output
    after = reconcile_folders(north_s, south_s, grace=NO_GRACE)
    assert after.report.agrees and after.report.counts["missing"] == 0
    # Repairing again re-sends nothing: the regions agree.
    assert reconcile_folders(north_s, south_s, grace=NO_GRACE, repair=True).steps == ()

