"""Records recognised across regions over NATS: attestations, revocations and receipts.

Real nats-server processes, one per region, each its own JetStream domain,
joined by a leaf node; each region's federation opened from its own data folder.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats
import pytest

from hub.adapters.nats.server import NatsServerConfig, NatsServerProcess, free_port
from hub.adapters.peers.transport import ATTESTATIONS, STREAM
from hub.settings import HubSettings
from simulations.federation_scenarios import (
    CLEARANCE,
    TAX_CLEARANCE,
    FederatedRegion,
    count_lines,
    federated_regions,
    receipt_of,
    run_scenarios,
    subject_ref,
)
from tests.waiting import wait_until_async

NAMES = ("north", "south", "east")


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[dict[str, NatsServerProcess]]:
    """north accepts leaf links from south and east; each its own JetStream domain."""
    port = free_port()
    started: dict[str, NatsServerProcess] = {}
    try:
        for index, name in enumerate(NAMES):
            config = NatsServerConfig(
                name, tmp_path / "nats" / name, jetstream_domain=name,
                leafnode_port=port if index == 0 else None,
                leaf_remotes=[] if index == 0 else [f"nats-leaf://127.0.0.1:{port}"])
            started[name] = NatsServerProcess(config)
            started[name].start()
        yield started
    finally:
        for server in reversed(started.values()):
            server.stop()


@contextlib.asynccontextmanager
async def regions(tmp_path: Path, servers: dict[str, NatsServerProcess]
                  ) -> AsyncIterator[dict[str, FederatedRegion]]:
    pairs = [(HubSettings(data=tmp_path / name, region=name, log_format="json"),
              servers[name].url) for name in NAMES]
    async with federated_regions(pairs) as opened:
        await _until_reachable(opened["north"], ["south", "east"])
        yield opened


async def _until_reachable(north: FederatedRegion, peers: list[str]) -> None:
    """The leaf links are up once north can reach each peer's JetStream domain."""
    nc = await nats.connect(north.link.transport._nc.connected_url.geturl())  # type: ignore[union-attr]
    try:
        for peer in peers:
            await wait_until_async(
                lambda peer=peer: nc.jetstream(domain=peer, timeout=0.5).stream_info(STREAM),
                timeout_s=10, interval_s=0.1, ignoring=(Exception,),
                message=f"{peer}'s JetStream domain reachable from north")
    finally:
        await nc.close()


async def test_scenarios_recognise_refuse_and_withdraw_across_regions(
    tmp_path: Path, servers: dict[str, NatsServerProcess]
) -> None:
    """Every scenario step meets its expectation and each region counts what it decided."""
    said: list[str] = []
    async with regions(tmp_path, servers) as opened:
        outcomes = await run_scenarios(opened, said.append)
        lines = await count_lines(opened)
    assert all(o.ok for o in outcomes), said
    assert len(said) == 4
    assert lines == ["north: recognised 0, refused 0", "south: recognised 2, refused 1",
                     "east: recognised 1, refused 0"]


async def test_the_same_attestation_sent_twice_is_stored_and_recognised_once(
    tmp_path: Path, servers: dict[str, NatsServerProcess]
) -> None:
    """Nats-Msg-Id = record id: a re-sent attestation is deduplicated by the peer's stream."""
    async with regions(tmp_path, servers) as opened:
        north = opened["north"]
        sent = await north.link.issue("tax", CLEARANCE, TAX_CLEARANCE,
                                      subject_ref=subject_ref("X1"), to=["east"])
        assert sent.delivered == ["east"] and not sent.undelivered
        again = await north.link.send("east", ATTESTATIONS, sent.record.attestation,
                                      msg_id=str(sent.record.record_id))
        assert again is None
        assert (await receipt_of(north, sent.record.record_id, "east"))["outcome"] == "recognised"
        east = opened["east"]
        assert await east.link.call(east.federation.app.recognition_counts) == {
            "recognised": 1, "refused": 0, "replayed": 0, "withdrawn": 0}


async def test_an_unreachable_peer_leaves_the_record_issued_but_undelivered(
    tmp_path: Path, servers: dict[str, NatsServerProcess]
) -> None:
    """With east's server stopped the publish fails and the record stays in north's store."""
    async with regions(tmp_path, servers) as opened:
        servers["east"].stop()
        north = opened["north"]
        sent = await north.link.issue("tax", CLEARANCE, TAX_CLEARANCE,
                                      subject_ref=subject_ref("X2"), to=["east"])
        assert sent.delivered == [] and "east" in sent.undelivered
        record = await north.link.call(north.federation.app.get_record, sent.record.record_id)
        assert record.attestation == sent.record.attestation and record.receipts == {}

