"""The states of a case and of its steps, and the error for what a state does not allow."""

from __future__ import annotations

from uuid import UUID

from contracts.errors import HubError

OPEN = "open"
COMPLETED = "completed"
REFUSED = "refused"
WITHDRAWN = "withdrawn"

APPROVED = "approved"
REFUSED_STEP = "refused"
MORE_INFORMATION = "more-information-needed"
DECISIONS = (APPROVED, REFUSED_STEP, MORE_INFORMATION)
"""What a department may decide on a step."""

WAITING, REQUESTED, ACKNOWLEDGED = "waiting", "requested", "acknowledged"
"""Step states before a decision (then: one of :data:`DECISIONS`)."""
FAILED = "failed"
"""A step whose exchange was refused, failed or dead-lettered: not a department's decision,
so the case stays open; the step is sent again when requested again, or its
department decides it by hand (it received the application some other way)."""


class CaseStateError(HubError):
    """Raised when a case or step is asked to do what its state does not allow."""

    code = "case-state"
    status = 409

    def __init__(self, case_id: UUID, action: str, reason: str) -> None:
        super().__init__(f"case {case_id}: cannot {action}: {reason}")
