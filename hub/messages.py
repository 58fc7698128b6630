"""Wire messages on the bus. These travel; events are recorded (STYLE rule 6)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class DeliveryRequest(BaseModel):
    """Published by the outbox relay for the provider's delivery worker."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    exchange_id: str
    ledger_position: int
    service: str
    client: str
    correlation_id: str
    contract: str
    document: dict[str, Any]
    reply_to: str


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
