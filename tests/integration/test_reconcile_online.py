"""Online reconciliation: two running, linked hubs; a partition gap found and repaired live.

Real nats-servers (north accepts south's leaf link) and real hubs with peers;
the command runs in a thread (its own event loop) while both hubs keep running.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from typer.testing import CliRunner, Result

from hub.bootstrap.federation import FederationTransport
from hub.entrypoints.cli.main import app
from hub.service_layer.federation.app import utc_now
from hub.settings import HubSettings
from simulations.federation_scenarios import (
    FederatedRegion,
    prepare,
    receipt_of,
)
from tests.integration.links_fixtures import LinkedRegion, linked_regions
from tests.integration.partition_helpers import issue_clearances, south_reachable
from tests.waiting import wait_until_async

CLEAN_ENV: dict[str, str | None] = {k: None for k in os.environ if k.startswith("HUB_")}


@pytest.fixture(autouse=True)
def _keep_structlog() -> Iterator[None]:
    """The CLI configures structlog for the process; put the test run's back afterwards."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


def _base(tmp_path: Path) -> HubSettings:
    return HubSettings(data=tmp_path, reply_timeout_s=20, retry_backoff_s=0.05,
                       link_timeout_s=3, gossip_interval_s=60, log_format="json")


def _federated(linked: LinkedRegion) -> FederatedRegion:
    transport = linked.hub.federation
    assert isinstance(transport, FederationTransport), f"{linked.name}: no federation"
    return FederatedRegion(linked.settings, transport.federation, transport.link)


async def _reconcile(data: Path, *args: str) -> Result:
    """Run ``interop-hub reconcile --data DATA --peer south --grace 0 ...`` off the loop."""
    argv = ["reconcile", "--data", str(data), "--peer", "south", "--grace", "0", *args]
    env = {**CLEAN_ENV, "HUB_LINK_TIMEOUT_S": "3"}
    return await asyncio.to_thread(CliRunner().invoke, app, argv, env=env)


async def test_online_reconcile_reports_the_gap_repairs_it_and_then_agrees(
    tmp_path: Path,
) -> None:
    """A gap left by a partition: --peer reports it (1), --repair closes it (0), again 0."""
    async with linked_regions(_base(tmp_path), ["north", "south"]) as regions:
        north, south = _federated(regions["north"]), _federated(regions["south"])
        await prepare({"north": north, "south": south}, now=utc_now())
        await south_reachable(north)
        for rid in await issue_clearances(north, 2, "before"):
            assert (await receipt_of(north, rid, "south"))["outcome"] == "recognised"

        await asyncio.to_thread(regions["south"].server.stop)  # the partition
        gap = await issue_clearances(north, 3, "during")
        await asyncio.to_thread(regions["south"].server.start)  # healed
        await south_reachable(north)
        catalogue = regions["north"].hub.links.parts.catalogue
        await wait_until_async(lambda: catalogue.refresh("south"), timeout_s=20, interval_s=0.1,
                               message="south's hub answering north's catalogue request again")

        first = await _reconcile(north.settings.data, "--json")
        assert first.exit_code == 1, first.output
        report = json.loads(first.stdout)  # stderr carries the warnings (a key pinned on first use)
        assert report["counts"] == {"missing": 3, "duplicated": 0, "divergent": 0,
                                    "pending": 0}
        assert sorted(f["key"] for f in report["findings"]) == sorted(map(str, gap))
        assert {(f["kind"], f["holder"], f["other"]) for f in report["findings"]} == {
            ("attestation", "north", "south")}

        repaired = await _reconcile(north.settings.data, "--repair")
        assert repaired.exit_code == 0, repaired.output
        for rid in gap:
            assert f"present north's attestation of record {rid} to south → recognised" \
                in repaired.output
        for rid in gap:
            assert (await receipt_of(north, rid, "south", within_s=1))["outcome"] == "recognised"

        again = await _reconcile(north.settings.data)
        assert again.exit_code == 0, again.output
        assert "reconcile north↔south: 0 missing, 0 duplicated, 0 divergent, 0 pending" \
            in again.output


async def test_online_reconcile_with_the_peer_down_names_the_region(tmp_path: Path) -> None:
    """South's hub unreachable: exit 2, and the message names region south."""
    async with linked_regions(_base(tmp_path), ["north", "south"]) as regions:
        await asyncio.to_thread(regions["south"].server.stop)
        try:
            result = await _reconcile(regions["north"].settings.data)
        finally:
            await asyncio.to_thread(regions["south"].server.start)
    assert result.exit_code == 2, result.output
    assert "error: region south did not answer" in result.output
