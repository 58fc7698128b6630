"""Wire messages on the bus. These travel; events are recorded (STYLE rule 6)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class DeliveryRequest(BaseModel):
    """Published by the outbox relay for the provider's delivery worker.

    It carries references only: the worker reads the request from the ledger,
    where personal data is sealed under the data subject's key. Copying the
    document into the stream would keep personal data where forgetting a
    person cannot reach it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    exchange_id: str
    ledger_position: int
    service: str
    correlation_id: str


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
