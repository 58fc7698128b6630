"""Refusals of the citizen desk once the person is known (the token's own refusals are
:mod:`hub.adapters.id_tokens.errors`)."""

from __future__ import annotations

from contracts.errors import FieldIssue, HubError


class CitizenRequestError(HubError):
    """Raised when a verified person asks for something the desk cannot do for them."""

    code = "citizen-request-refused"
    status = 400

    def __init__(self, message: str, *, field: str | None = None, subject_ref: str = "") -> None:
        super().__init__(message, issues=(FieldIssue(
            path=f"$.{field}" if field else "$", reason=message, code=self.code, field=field),))
        self.subject_ref = subject_ref  # who asked (a reference), for recording the refusal


class CitizenConsentNotFoundError(CitizenRequestError):
    """Raised when a consent id names no consent of this person: another person's consent
    is answered exactly like one that does not exist, so its existence is not revealed."""

    code = "citizen-consent-not-found"
    status = 404


class CitizenConsentNotActiveError(CitizenRequestError):
    """Raised when the person revokes a consent of theirs that is already revoked or expired."""

    code = "citizen-consent-not-active"
    status = 409


class CitizenSessionEndedError(CitizenRequestError):
    """Raised when a pages' session is unknown, expired or signed out (sign in again)."""

    code = "citizen-session-ended"
    status = 401
