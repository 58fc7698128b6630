"""Start-up wiring of the reliability parts: dead-letter streams and the durability check.

Kept out of :mod:`hub.bootstrap.region`, the composition root, as one step of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.adapters.bus.port import ConsumerSpec
from hub.adapters.nats.bus import JetStreamBus
from hub.adapters.nats.durability import DurabilityPolicy, check_durability
from hub.adapters.store.ledger import Ledger
from hub.service_layer.exchanges.dead_letters import (
    DeadLetters,
    advisory_consumer,
    advisory_stream,
    dlq_stream,
)
from hub.settings import HubSettings


@dataclass(frozen=True)
class Reliability:
    """What the bootstrap wires in: the dead-letter publisher and its consumer."""

    dead_letters: DeadLetters
    advisories: ConsumerSpec


async def prepare_reliability(
    bus: JetStreamBus, ledger: Ledger, settings: HubSettings, monitor_url: str | None
) -> Reliability:
    """Create the DLQ and advisory streams, then judge every hub stream's durability.

    Raises :class:`hub.adapters.nats.durability.DurabilityError` under a strict policy
    when a stream is below it; otherwise a shortfall is a logged warning.
    """
    region, replicas = settings.region, settings.stream_replicas
    streams = [bus.stream, dlq_stream(region, replicas), advisory_stream(region, replicas)]
    for spec in streams[1:]:
        await bus.ensure_stream(spec)
    policy = DurabilityPolicy(settings.durability_min_replicas, settings.durability_strict)
    await check_durability(bus, [s.name for s in streams], policy,
                           settings.nats_monitor_url or monitor_url)
    return Reliability(
        dead_letters=DeadLetters(ledger, bus, region),
        advisories=advisory_consumer(region),
    )
