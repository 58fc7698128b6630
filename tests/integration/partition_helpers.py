"""Helpers shared by the partition tests (offline and online reconcile)."""

from __future__ import annotations

from uuid import UUID

from hub.adapters.peers.transport import STREAM
from simulations.federation_scenarios import (
    CLEARANCE,
    TAX_CLEARANCE,
    FederatedRegion,
    subject_ref,
)
from tests.waiting import wait_until_async


async def south_reachable(north: FederatedRegion, within_s: float = 20.0) -> None:
    """South's JetStream domain answers through the leaf link (bounded wait)."""
    nc = north.link.transport._nc
    await wait_until_async(
        lambda: nc.jetstream(domain="south", timeout=0.5).stream_info(STREAM),
        timeout_s=within_s, interval_s=0.1, ignoring=(Exception,),
        message="south's JetStream domain reachable from north")


async def issue_clearances(north: FederatedRegion, n: int, tag: str) -> list[UUID]:
    """Issue ``n`` tax clearances in north, each sent to south; their record ids."""
    ids = []
    for i in range(n):
        sent = await north.link.issue("tax", CLEARANCE, TAX_CLEARANCE,
                                      subject_ref=subject_ref(f"{tag}{i}"), to=["south"])
        ids.append(sent.record.record_id)
    return ids
