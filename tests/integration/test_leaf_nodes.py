"""Regions joined by NATS leaf nodes, each with its own JetStream domain."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from nats.js import api

from hub.adapters.nats.server import NatsServerConfig, NatsServerProcess, free_port
from tests.waiting import wait_until_async


@pytest.fixture
def two_regions(tmp_path: Path) -> Iterator[tuple[NatsServerProcess, NatsServerProcess]]:
    """north accepts a leaf link from south; both run JetStream in their own domain."""
    port = free_port()
    north = NatsServerProcess(NatsServerConfig(
        "north", tmp_path / "north", jetstream_domain="north", leafnode_port=port))
    south = NatsServerProcess(NatsServerConfig(
        "south", tmp_path / "south", jetstream_domain="south",
        leaf_remotes=[f"nats-leaf://127.0.0.1:{port}"]))
    north.start()
    south.start()
    try:
        yield north, south
    finally:
        south.stop()
        north.stop()


async def _request_ok(nc, subject: str) -> bool:  # type: ignore[no-untyped-def]
    try:
        await nc.request(subject, b"ping", timeout=0.5)
        return True
    except (nats.errors.TimeoutError, nats.errors.NoRespondersError):
        return False


async def test_request_reply_and_domain_addressed_publish_cross_regions(two_regions) -> None:  # type: ignore[no-untyped-def]
    """south reaches a north responder and publishes into north's JetStream domain."""
    north, south = two_regions
    nn, ns = await nats.connect(north.url), await nats.connect(south.url)
    try:
        await nn.jetstream().add_stream(api.StreamConfig(name="NORTH", subjects=["hub.north.>"]))

        async def answer(msg):  # type: ignore[no-untyped-def]
            await msg.respond(b"pong from north")

        await nn.subscribe("fed.north.ping", cb=answer)
        await wait_until_async(lambda: _request_ok(ns, "fed.north.ping"), timeout_s=10,
                               interval_s=0.1, message="south's ping answered by north")
        ack = await ns.jetstream(domain="north").publish("hub.north.records", b"r1")
        assert ack.domain == "north" and ack.stream == "NORTH"
        assert (await ns.jetstream().account_info()).domain == "south"
    finally:
        await nn.close()
        await ns.close()


async def test_a_cut_link_leaves_each_region_working_and_heals(two_regions, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """With north down, south's own JetStream still accepts writes; the link heals after."""
    north, south = two_regions
    ns = await nats.connect(south.url)
    try:
        await ns.jetstream().add_stream(api.StreamConfig(name="SOUTH", subjects=["hub.south.>"]))
        north.stop()
        ack = await ns.jetstream().publish("hub.south.records", b"while cut")
        assert ack.seq == 1
        assert not await _request_ok(ns, "fed.north.ping")
        north.start()  # same leaf port, same store: the south remote reconnects by itself
        nn = await nats.connect(north.url)

        async def answer(msg):  # type: ignore[no-untyped-def]
            await msg.respond(b"back")

        await nn.subscribe("fed.north.ping", cb=answer)
        await wait_until_async(lambda: _request_ok(ns, "fed.north.ping"), timeout_s=15,
                               interval_s=0.1, message="the leaf link healed")
        await nn.close()
    finally:
        await ns.close()
