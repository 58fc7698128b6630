"""Wire messages on the bus. These travel; events are recorded (never the events themselves)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class DeliveryRequest(BaseModel):
    """Published by the outbox relay for the provider's delivery worker.

    It carries references only: the worker reads the request from the ledger,
    where personal data is sealed under the data subject's key. Copying the
    document into the stream would keep personal data where forgetting a
    person cannot reach it.

    ``version`` is the exchange's version once routed; with it come what the
    ``Routed`` event repeats (client, reply subject, contract, subject reference,
    decision), so the worker appends its outcome at ``version + 1`` without
    rebuilding the exchange. Without it (a requeued exchange, an event recorded
    before ``Routed`` carried them) the worker loads the exchange.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    exchange_id: str
    ledger_position: int
    service: str
    correlation_id: str
    version: int | None = None
    client: str = ""
    reply_to: str = ""
    contract: str = ""
    data_subject: str = ""
    authorisation: dict[str, str] | None = None
    # Attempts made before this message (an inline delivery handed over after its first):
    # the worker's first deliveries of it wait out their backoff, so the stream's count of
    # deliveries stays the attempt number and max_deliver bounds them all.
    attempts_before: int = 0


class ReplyError(BaseModel):
    """Why an exchange has no answer."""

    code: str
    message: str
    issues: list[dict[str, Any]] = []


class DeliveryReply(BaseModel):
    """Sent by the delivery worker to the ingress that awaits the answer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    exchange_id: str
    outcome: Literal["responded", "failed", "dead-lettered"]
    contract: str | None = None
    document: dict[str, Any] | None = None
    error: ReplyError | None = None
    # The exchange's version after the worker recorded the outcome: completion is
    # appended after it without a load (None: the ingress loads the exchange).
    version: int | None = None
