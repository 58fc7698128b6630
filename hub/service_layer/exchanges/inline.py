"""Inline delivery: the hub process that accepted a query delivers it itself.

The queued path carries an exchange from the ingress to the provider through the
ledger, the outbox relay, JetStream, a pull consumer and a reply inbox: five hand-offs
and the request unsealed again in the worker. When the provider is served by this
region and the exchange needs nothing the worker must load (no consent to use, not a
notification, not a peer's service), the accepting process has everything already:
it records ``Routed`` with ``inline=True`` (the claim) in the same transaction as the
arrival, calls the provider through the same :class:`~.delivery.DeliveryWorker` code
with the request it just decoded, records the outcome at the routed version, and hands
the answer back to the waiting ingress as an object (no reply message to encode).

Nothing is lost if that process dies: the outbox relay holds every ``Routed(inline)``
it reads until the exchange's ``Delivered`` follows, and publishes it when the grace
period (:func:`inline_grace_s`: longer than any provider call) has passed without one;
the relay's saved position never passes the oldest exchange it still holds, so a new
lease holder reads the claim again. What the relay publishes then, and what an inline
delivery hands over when the provider asks to be retried, is the same message
(:func:`handover_msg_id`, JetStream drops the second within its duplicate window),
without a version, so the worker loads the exchange and acts on its status: a settled
exchange is a duplicate, a routed one is delivered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from uuid import UUID

from hub.adapters.bus.port import Bus
from hub.service_layer.exchanges.messages import DeliveryReply, DeliveryRequest

INLINE_GRACE_MARGIN_S = 5.0
"""Beyond the provider timeout: recording the outcome and a loaded machine's delays."""


def inline_grace_s(provider_timeout_s: float) -> float:
    """How long the relay waits for an inline delivery's outcome before publishing it."""
    return provider_timeout_s + INLINE_GRACE_MARGIN_S


def handover_msg_id(region: str, exchange_id: UUID | str) -> str:
    """The message id of an inline exchange handed to the queue (by its process or by the
    relay): one id, so JetStream keeps one of the two."""
    return f"{region}-inline-{exchange_id}"


@dataclass
class InlineDelivery:
    """The :class:`~hub.adapters.bus.port.Delivery` an inline exchange is settled through.

    Attempt 1; ``ack`` has nothing to settle; ``retry`` hands the exchange to the queue
    at once (waiting here would be a window in which a stopped process loses it) as a
    versionless request that counts this attempt: the worker's first delivery of it only
    waits out the backoff, and then loads what the failed attempt recorded.
    """

    request: DeliveryRequest
    bus: Bus
    region: str
    subject: str
    data: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    attempt: int = 1
    handed_over: bool = False
    reply: DeliveryReply | None = None  # the answer, handed back to the accepting ingress

    async def ack(self) -> None:
        """Nothing to settle: no message was taken from a stream."""

    async def retry(self, delay: float) -> None:
        """Publish the exchange for the delivery worker, which waits out the backoff."""
        del delay  # the worker's own schedule: backoff × 2^(attempt - 1), as for any retry
        await handover(self.bus, self.region, self.subject, self.request,
                       attempts=self.attempt)
        self.handed_over = True


async def handover(bus: Bus, region: str, subject: str, request: DeliveryRequest, *,
                   attempts: int = 0) -> None:
    """Publish ``request`` without its version, after ``attempts`` made, under the
    exchange's handover id."""
    versionless = request.model_copy(update={"version": None, "attempts_before": attempts})
    await bus.publish(subject, versionless.model_dump_json().encode(),
                      msg_id=handover_msg_id(region, request.exchange_id),
                      headers={"Correlation-Id": request.correlation_id})
