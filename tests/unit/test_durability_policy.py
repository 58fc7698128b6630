"""The start-up durability check: what it reads, when it warns, when it refuses."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from structlog.testing import capture_logs

from hub.adapters.nats.durability import DurabilityError, DurabilityPolicy, check_durability


class FakeStreamInfo:
    """Implements the StreamInfoSource port with canned stream info."""

    def __init__(self, replicas: int, storage: str = "file", peers: int = 0) -> None:
        cluster = (SimpleNamespace(replicas=[SimpleNamespace(current=True)] * peers)
                   if peers else None)
        self.info = SimpleNamespace(
            config=SimpleNamespace(num_replicas=replicas, storage=SimpleNamespace(value=storage)),
            cluster=cluster)

    async def stream_info(self, name: str) -> Any:
        return self.info


async def test_meeting_the_policy_logs_what_was_found_and_no_warning() -> None:
    """R3 file storage with three current peers meets a 3-replica policy."""
    with capture_logs() as logs:
        found = await check_durability(FakeStreamInfo(3, peers=2), ["S"], DurabilityPolicy(3))
    assert [(f.replicas, f.storage, f.peers_current) for f in found] == [(3, "file", 3)]
    assert not [entry for entry in logs if entry["log_level"] == "warning"]


async def test_below_policy_warns_naming_stream_and_shortfall() -> None:
    """One replica under a 3-replica policy: a warning per shortfall, the hub still starts."""
    with capture_logs() as logs:
        await check_durability(FakeStreamInfo(1, storage="memory"), ["HUB_X"],
                               DurabilityPolicy(3))
    warnings = [entry for entry in logs if entry["log_level"] == "warning"]
    assert [w["stream"] for w in warnings] == ["HUB_X", "HUB_X"]
    assert "1 replica(s)" in warnings[0]["shortfall"]
    assert "storage memory" in warnings[1]["shortfall"]


async def test_strict_policy_refuses_with_stream_found_and_policy() -> None:
    """HUB_DURABILITY_STRICT: a DurabilityError naming the stream, replicas found, policy."""
    with pytest.raises(DurabilityError) as caught:
        await check_durability(FakeStreamInfo(1), ["HUB_NORTH_DELIVERY"],
                               DurabilityPolicy(3, strict=True))
    message = caught.value.message
    assert "HUB_NORTH_DELIVERY" in message and "1 replica(s)" in message
    assert "at least 3" in message
    assert [i.path for i in caught.value.issues] == ["$.streams.HUB_NORTH_DELIVERY"]
