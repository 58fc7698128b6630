"""At start-up, read the durability JetStream actually gives the hub's streams; judge it.

What is readable and from where:

- replicas and storage type of each stream: JetStream's stream info (the JS API);
- the server's ``sync_interval`` is not in the JS API. It is in the monitoring
  endpoint's ``/varz`` (``jetstream.config.sync_interval`` / ``sync_always``), which
  needs no system account but does need the monitoring port: the embedded server
  opens one on loopback; for an external server set ``HUB_NATS_MONITOR_URL``.
  Without it the sync interval is reported as unknown, never guessed.

Below the policy (``HUB_DURABILITY_MIN_REPLICAS``, file storage) the hub warns;
with ``HUB_DURABILITY_STRICT=true`` it refuses to start with
:class:`DurabilityError` naming the stream, what was found and the policy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import structlog

from contracts.errors import FieldIssue, HubError

log = structlog.get_logger("hub.adapters.nats.durability")


class DurabilityError(HubError):
    """Raised (strict policy only) when a stream's durability is below the configured policy."""

    code = "durability-below-policy"
    status = 500


@dataclass(frozen=True)
class DurabilityPolicy:
    """What the operator requires of every hub stream."""

    min_replicas: int = 1
    strict: bool = False


@dataclass(frozen=True)
class StreamDurability:
    """What JetStream reported for one stream, plus the server's sync setting if readable."""

    stream: str
    replicas: int
    storage: str
    peers_current: int | None  # replicas (leader included) current; None on a single server
    sync_interval: str | None  # "always", a duration such as "2m0s", or None: not readable

    def shortfalls(self, policy: DurabilityPolicy) -> list[str]:
        """Each way this stream falls short of ``policy`` (empty: it meets it)."""
        found = []
        if self.replicas < policy.min_replicas:
            found.append(f"{self.replicas} replica(s), policy requires at least "
                         f"{policy.min_replicas} (HUB_DURABILITY_MIN_REPLICAS)")
        if self.storage != "file":
            found.append(f"storage {self.storage}, policy requires file")
        return found


class StreamInfoSource(Protocol):
    """What the check needs of the bus: stream info by name."""

    async def stream_info(self, name: str) -> Any: ...


async def read_durability(
    bus: StreamInfoSource, streams: Sequence[str], monitor_url: str | None
) -> list[StreamDurability]:
    """Durability of each named stream as JetStream reports it."""
    sync = await asyncio.to_thread(read_sync_interval, monitor_url) if monitor_url else None
    found = []
    for name in streams:
        info = await bus.stream_info(name)
        cluster = info.cluster
        current = None
        if cluster is not None and cluster.replicas is not None:
            current = 1 + sum(bool(peer.current) for peer in cluster.replicas)
        storage = info.config.storage
        found.append(StreamDurability(
            stream=name,
            replicas=int(info.config.num_replicas or 1),
            storage=str(getattr(storage, "value", storage)),
            peers_current=current,
            sync_interval=sync,
        ))
    return found


def read_sync_interval(monitor_url: str) -> str | None:
    """``always`` or the configured interval, from the server's ``/varz``; None if unreadable."""
    try:
        response = httpx.get(f"{monitor_url.rstrip('/')}/varz", timeout=5)
        response.raise_for_status()
        varz = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("cannot read nats-server /varz", url=monitor_url, error=repr(exc))
        return None
    config = (varz.get("jetstream") or {}).get("config") or {}
    if config.get("sync_always"):
        return "always"
    interval_ns = config.get("sync_interval")
    return f"{interval_ns / 1e9:g}s" if isinstance(interval_ns, int | float) else None


def enforce(found: Sequence[StreamDurability], policy: DurabilityPolicy) -> None:
    """Log what was found; warn below policy, or raise :class:`DurabilityError` when strict."""
    issues = []
    for stream in found:
        shortfalls = stream.shortfalls(policy)
        log.info("stream durability", stream=stream.stream, replicas=stream.replicas,
                 storage=stream.storage, peers_current=stream.peers_current,
                 sync_interval=stream.sync_interval or "unknown (no monitoring URL)")
        for shortfall in shortfalls:
            log.warning("stream durability below policy", stream=stream.stream,
                        shortfall=shortfall, strict=policy.strict)
            issues.append(FieldIssue(path=f"$.streams.{stream.stream}", reason=shortfall,
                                     code=DurabilityError.code, field="num_replicas"))
    if issues and policy.strict:
        detail = "; ".join(f"stream {i.path.rsplit('.', 1)[-1]}: {i.reason}" for i in issues)
        raise DurabilityError(
            f"refusing to start (HUB_DURABILITY_STRICT=true): {detail}", issues=tuple(issues)
        )


async def check_durability(
    bus: StreamInfoSource,
    streams: Sequence[str],
    policy: DurabilityPolicy,
    monitor_url: str | None = None,
) -> list[StreamDurability]:
    """Read and judge the durability of ``streams``; the hub calls this once at start-up."""
    found = await read_durability(bus, streams, monitor_url)
    enforce(found, policy)
    return found
