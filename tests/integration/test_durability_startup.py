"""At start-up the hub reads its streams' durability from the real server and judges it."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from hub.adapters.nats.durability import DurabilityError
from hub.entrypoints.serve import run_hub
from hub.settings import HubSettings


async def test_strict_policy_refuses_an_embedded_single_replica_hub(
    hub_settings: HubSettings,
) -> None:
    """The embedded server gives R1: a 3-replica strict policy stops the hub, naming it."""
    settings = hub_settings.model_copy(update={"durability_min_replicas": 3,
                                               "durability_strict": True})
    with pytest.raises(DurabilityError) as caught:
        async with run_hub(settings, []):
            pytest.fail("the hub started below a strict durability policy")
    assert "HUB_NORTH_DELIVERY" in caught.value.message
    assert "policy requires at least 3" in caught.value.message


async def test_default_policy_reads_replicas_storage_and_sync_interval(
    hub_settings: HubSettings,
) -> None:
    """Default policy: R1 file streams pass; sync_interval is read from the embedded /varz."""
    with capture_logs() as logs:
        async with run_hub(hub_settings, []):
            pass
    found = [e for e in logs if e.get("event") == "stream durability"]
    assert {e["stream"] for e in found} == {
        "HUB_NORTH_DELIVERY", "HUB_NORTH_DLQ", "HUB_NORTH_ADVISORIES"}
    assert all(e["replicas"] == 1 and e["storage"] == "file" for e in found)
    assert all(e["sync_interval"] == "120s" for e in found)  # nats-server's default 2 min
    assert not [e for e in logs if e.get("event") == "stream durability below policy"]
