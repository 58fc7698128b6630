"""The ingest streams and consumer, created idempotently, and the backlog they hold.

The ingest stream is a work queue (what is acked is gone; the duplicate window
drops a submission published twice under one id); the records stream keeps the
notices for a week, its duplicate window dropping a notice re-published after a
redelivery. ``nats.errors`` stop in this module and in :mod:`hub.service_layer.ingest.worker`.
"""

from __future__ import annotations

from dataclasses import dataclass

import nats.errors
import nats.js.errors
from nats.js import JetStreamContext, api

from hub.service_layer.ingest.errors import IngestError
from hub.service_layer.ingest.subjects import (
    ingest_filter,
    ingest_stream,
    records_filter,
    records_stream,
)

CONSUMER = "ingest"
DUPLICATE_WINDOW_S = 120.0


@dataclass(frozen=True)
class ConsumerSettings:
    """How the shared durable pull consumer redelivers."""

    ack_wait_s: float
    max_deliver: int
    max_ack_pending: int


async def ensure_streams(js: JetStreamContext, region: str, *, replicas: int = 1) -> None:
    """Create or update the ingest and records streams of ``region``."""
    configs = {
        ingest_stream(region): api.StreamConfig(
            name=ingest_stream(region), subjects=[ingest_filter(region)],
            storage=api.StorageType.FILE, retention=api.RetentionPolicy.WORK_QUEUE,
            duplicate_window=DUPLICATE_WINDOW_S, num_replicas=replicas),
        records_stream(region): api.StreamConfig(
            name=records_stream(region), subjects=[records_filter(region)],
            storage=api.StorageType.FILE, retention=api.RetentionPolicy.LIMITS,
            duplicate_window=DUPLICATE_WINDOW_S, max_age=7 * 24 * 3600.0,
            num_replicas=replicas),
    }
    for name, config in configs.items():
        try:
            try:
                await js.stream_info(name)
                await js.update_stream(config)
            except nats.js.errors.NotFoundError:
                await js.add_stream(config)
        except (TimeoutError, nats.errors.Error) as exc:
            raise IngestError(f"cannot create stream {name}: {exc!r}") from None


def consumer_config(region: str, settings: ConsumerSettings) -> api.ConsumerConfig:
    """The one durable consumer every ingest worker pulls from."""
    return api.ConsumerConfig(
        durable_name=CONSUMER, ack_policy=api.AckPolicy.EXPLICIT,
        ack_wait=settings.ack_wait_s, max_deliver=settings.max_deliver,
        max_ack_pending=settings.max_ack_pending, filter_subject=ingest_filter(region))


@dataclass(frozen=True)
class Backlog:
    """What the ingest consumer still holds: not yet delivered, delivered but not acked."""

    pending: int
    ack_pending: int
    acked_through: int  # stream sequence up to which everything is acked

    @property
    def empty(self) -> bool:
        return self.pending == 0 and self.ack_pending == 0


async def backlog(js: JetStreamContext, region: str) -> Backlog:
    """The ingest consumer's backlog (IngestError if it cannot be read)."""
    try:
        info = await js.consumer_info(ingest_stream(region), CONSUMER)
    except (TimeoutError, nats.errors.Error) as exc:
        raise IngestError(f"cannot read the ingest consumer: {exc!r}") from None
    floor = info.ack_floor.stream_seq if info.ack_floor and info.ack_floor.stream_seq else 0
    return Backlog(info.num_pending or 0, info.num_ack_pending or 0, floor)
