"""kill -9 the stream leader of a 3-node R3 cluster mid-stream: nothing acknowledged is lost,
nothing is applied twice, and after the node's restart every replica holds the same stream."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from hub.adapters.nats.durability import DurabilityPolicy, check_durability
from hub.service_layer.exchanges.dead_letters import delivery_stream_name
from hub.settings import HubSettings
from simulations.cluster import running_cluster
from tests.integration.fault_helpers import post_query, settled, tally
from tests.integration.hub_fixtures import department_token, running_region
from tests.waiting import wait_until_async

TOTAL, IN_FLIGHT, KILL_AFTER = 120, 12, 40


async def test_leader_killed_mid_stream_loses_and_duplicates_nothing(
    hub_settings: HubSettings, tmp_path: Path
) -> None:
    """R3 file streams on three nodes; the delivery stream's leader is killed -9 after
    KILL_AFTER of TOTAL queries were sent, and restarted once all were sent."""
    stream = delivery_stream_name(hub_settings.region)
    async with running_cluster(hub_settings.region, tmp_path / "cluster") as cluster:
        settings = hub_settings.model_copy(update={
            "nats_url": cluster.url, "stream_replicas": 3, "durability_min_replicas": 3,
            "durability_strict": True, "reply_timeout_s": 30, "ack_wait_s": 5,
            "max_deliver": 10,
            # every exchange through the stream under test, none delivered inline
            "inline_delivery": False,
        })
        async with running_region(settings) as region:
            hub = region.hub
            token = department_token(hub, f"{settings.region}/tax")
            found = await check_durability(hub.bus, [stream], DurabilityPolicy(3, strict=True))
            assert [(f.replicas, f.storage) for f in found] == [(3, "file")]
            leader = await cluster.stream_leader(stream)
            answered: set[str] = set()
            slots = asyncio.Semaphore(IN_FLIGHT)
            killed = asyncio.Event()

            async def one(http: httpx.AsyncClient, index: int) -> None:
                async with slots:
                    if index == KILL_AFTER and not killed.is_set():
                        killed.set()
                        await cluster.kill(leader)
                    response = await post_query(
                        http, hub.http_url, settings.region, token, f"c-{index}")
                    if response.status_code == 200:
                        answered.add(f"c-{index}")

            async with httpx.AsyncClient(timeout=60) as http:
                await asyncio.wait_for(
                    asyncio.gather(*(one(http, i) for i in range(TOTAL))), 240)
            new_leader = await cluster.stream_leader(stream)
            await cluster.restart(leader)
            await cluster.wait_stream_current(stream)
            await wait_until_async(
                lambda: settled(tally(hub.ledger, TOTAL, answered)), timeout_s=60,
                message="every recorded exchange answered", interval_s=0.5, in_thread=True)
            counts = tally(hub.ledger, TOTAL, answered)
            states = {node.name: cluster.node_stream_state(node.name, stream)
                      for node in cluster.nodes}
        print(counts.line("leader-kill"), f"leader={leader} new_leader={new_leader} "
              f"replica_states={states}")
        assert new_leader != leader
        assert counts.lost == 0 and counts.duplicates == 0
        assert counts.recorded == TOTAL and counts.acked > 0
        assert len({tuple(sorted(s.items())) for s in states.values() if s}) == 1, states
        assert all(states.values()), states
