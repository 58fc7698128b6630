"""Domain rule violations."""

from __future__ import annotations

from uuid import UUID

from contracts.errors import HubError


class ExchangeStateError(HubError):
    """Raised when a step is applied to an exchange in a state that does not allow it."""

    code = "exchange-state"
    status = 409

    def __init__(self, exchange_id: UUID, action: str, reason: str) -> None:
        super().__init__(f"exchange {exchange_id}: cannot {action}: {reason}")
        self.exchange_id = exchange_id
        self.action = action


class ExchangeNotFoundError(HubError):
    """Raised when no exchange has the given id."""

    code = "exchange-not-found"
    status = 404

    def __init__(self, exchange_id: str) -> None:
        super().__init__(f"no exchange with id {exchange_id}")
        self.exchange_id = exchange_id


class ExchangeConflictError(HubError):
    """Raised when another worker recorded a step of the same exchange first."""

    code = "exchange-conflict"
    status = 409

    def __init__(self, exchange_id: UUID) -> None:
        super().__init__(f"exchange {exchange_id} was changed concurrently; reload and retry")
        self.exchange_id = exchange_id
