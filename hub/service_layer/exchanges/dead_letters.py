"""Dead letters: what exhausted its delivery attempts, in a stream of its own, with the reason.

Two ways into the dead-letter stream ``HUB_<REGION>_DLQ`` (subjects
``hub.<region>.dlq.<department>.<exchange id>``):

1. the delivery worker gives up (a retryable failure on the last allowed
   attempt): it records ``DeliveryFailed`` + ``DeadLettered`` and publishes here;
2. JetStream itself stops redelivering — ``max_deliver`` reached while no worker
   recorded an outcome (e.g. the worker crashed on every attempt). JetStream then
   emits a ``$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.<stream>.<consumer>``
   advisory. Advisories are core NATS messages, lost if nobody listens at that
   instant, so the hub captures them in a stream (``HUB_<REGION>_ADVISORIES``) and
   reads it with a durable consumer: an advisory raised while the hub was down is
   handled when it comes back. Each one is recorded as ``DeliveryFailed``
   (code ``max-deliveries-exhausted``) + ``DeadLettered`` and published here.

A dead letter carries references only (exchange id, service, correlation id,
code, message, attempts), never the personal payload, and is published with
``Nats-Msg-Id = <region>-dlq-<exchange id>-v<ledger version>``: publishing it again
(a redelivery, a restart) is dropped as a duplicate, while the same exchange
dead-lettered again after a requeue gets a new version, so a new letter.
"""

from __future__ import annotations

import asyncio
import json
from typing import Literal, Protocol
from uuid import UUID

import structlog
from pydantic import BaseModel, ConfigDict, ValidationError

from hub.adapters.bus.port import ConsumerSpec, Delivery
from hub.adapters.nats.bus import StreamSpec
from hub.adapters.store.ledger import Ledger
from hub.domain.errors import ExchangeConflictError, ExchangeStateError
from hub.domain.exchange import Exchange, Status
from hub.service_layer.exchanges.messages import DeliveryRequest

log = structlog.get_logger("hub.service_layer.exchanges.dead_letters")

MAX_DELIVERIES_CODE = "max-deliveries-exhausted"
ADVISORY_CONSUMER = "dead-letter-advisories"


class DeadLetter(BaseModel):
    """The wire form of one dead letter (references only: no personal payload)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    exchange_id: str
    service: str
    correlation_id: str
    code: str
    message: str
    attempts: int
    source: Literal["worker", "max-deliveries"]
    ledger_version: int


def _stream_prefix(region: str) -> str:
    return f"HUB_{region.upper().replace('-', '_')}"


def delivery_stream_name(region: str) -> str:
    """The stream of exchanges awaiting delivery (as the bootstrap names it)."""
    return f"{_stream_prefix(region)}_DELIVERY"


def dlq_stream(region: str, replicas: int = 1) -> StreamSpec:
    """The dead-letter stream of one region; letters are kept as long as deliveries."""
    return StreamSpec(
        name=f"{_stream_prefix(region)}_DLQ", subjects=[f"hub.{region}.dlq.>"], replicas=replicas
    )


def advisory_stream(region: str, replicas: int = 1) -> StreamSpec:
    """Captures the max-deliveries advisories of the region's delivery stream."""
    advisory = f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{delivery_stream_name(region)}.>"
    return StreamSpec(name=f"{_stream_prefix(region)}_ADVISORIES", subjects=[advisory],
                      replicas=replicas)


def advisory_consumer(region: str) -> ConsumerSpec:
    """The durable consumer that turns advisories into dead letters."""
    return ConsumerSpec(
        name=ADVISORY_CONSUMER,
        subject_filter=advisory_stream(region).subjects[0],
        stream=advisory_stream(region).name,
        max_deliver=10,
        ack_wait_s=30.0,
        concurrency=4,
    )


class DeadLetterBus(Protocol):
    """What dead-lettering needs of the bus."""

    async def publish(self, subject: str, data: bytes, *, msg_id: str,
                      headers: dict[str, str] | None = None) -> None: ...

    async def stream_message(self, stream: str, sequence: int) -> bytes: ...


class DeadLetters:
    """Publishes dead letters and turns max-deliveries advisories into them."""

    def __init__(self, ledger: Ledger, bus: DeadLetterBus, region: str) -> None:
        self._ledger = ledger
        self._bus = bus
        self._region = region

    async def publish(
        self, exchange: Exchange, source: Literal["worker", "max-deliveries"] = "worker"
    ) -> None:
        """Publish the letter of a dead-lettered exchange (idempotent: safe to repeat)."""
        error = exchange.error or {}
        letter = DeadLetter(
            exchange_id=str(exchange.id),
            service=exchange.service,
            correlation_id=exchange.correlation_id,
            code=str(error.get("code", "unknown")),
            message=str(error.get("message", "")),
            attempts=exchange.attempts,
            source=source,
            ledger_version=exchange.version,
        )
        department = exchange.service.split("/")[1]
        await self._bus.publish(
            f"hub.{self._region}.dlq.{department}.{exchange.id}",
            letter.model_dump_json().encode(),
            msg_id=f"{self._region}-dlq-{exchange.id}-v{exchange.version}",
            headers={"Correlation-Id": exchange.correlation_id, "Hub-Dlq-Code": letter.code},
        )
        log.warning("exchange dead-lettered", exchange_id=str(exchange.id), code=letter.code,
                    attempts=letter.attempts, source=source)

    async def on_advisory(self, delivery: Delivery) -> None:
        """Handle one max-deliveries advisory: dead-letter that exchange unless it settled."""
        try:
            advisory = json.loads(delivery.data)
            stream, sequence = str(advisory["stream"]), int(advisory["stream_seq"])
            deliveries = int(advisory.get("deliveries", 0))
        except (ValueError, KeyError, TypeError):
            log.error("unreadable max-deliveries advisory ignored", data=delivery.data[:200])
            await delivery.ack()
            return
        raw = await self._bus.stream_message(stream, sequence)
        try:
            request = DeliveryRequest.model_validate_json(raw)
        except ValidationError:
            log.error("advisory names a message that is not a delivery request",
                      stream=stream, sequence=sequence)
            await delivery.ack()
            return
        exchange = await asyncio.to_thread(self._give_up, request, deliveries)
        if exchange is not None:
            await self.publish(exchange, source="max-deliveries")
        await delivery.ack()

    def _give_up(self, request: DeliveryRequest, deliveries: int) -> Exchange | None:
        """Record the give-up; the exchange if it is (now or already) dead-lettered."""
        exchange_id = UUID(request.exchange_id)
        reason = (f"JetStream stopped redelivering after {deliveries} deliveries and no "
                  "attempt recorded an outcome (max_deliver reached; did the worker crash?)")
        try:
            return self._ledger.record_failure(
                exchange_id, attempt=deliveries, code=MAX_DELIVERIES_CODE, reason=reason,
                retryable=True, give_up=True,
            )
        except (ExchangeStateError, ExchangeConflictError):
            exchange = self._ledger.get(exchange_id)
            # Settled meanwhile (answered, failed) or already dead-lettered by the worker:
            # then re-publishing the letter is harmless (same message id).
            return exchange if exchange.status is Status.DEAD_LETTERED else None
