"""Errors of in-region notifications; each has its own stable code."""

from __future__ import annotations

from contracts.errors import FieldIssue, HubError


class NotificationError(HubError):
    """Base of notification errors."""

    code = "notification-error"
    status = 400


class SubscriptionError(NotificationError):
    """A ``[[subscription]]`` table of the services file is incomplete or inconsistent."""

    code = "subscription-invalid"


class UnsubscribableContractError(NotificationError):
    """A record was issued for a contract this hub does not know."""

    code = "record-contract-unknown"
    status = 404

    def __init__(self, contract: str, known: list[str]) -> None:
        super().__init__(
            f"no contract {contract!r}; known: {', '.join(known) or 'none'}",
            issues=(FieldIssue(path="$", reason="no such contract", code=self.code,
                               field="contract"),),
        )
