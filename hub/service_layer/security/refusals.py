"""Why the hub refuses an exchange on access grounds, rooted in :class:`HubError`.

HubError
└── AccessError                   access rights, purposes and consent
    ├── AccessDeniedError         no active right of the client on the service
    ├── PurposeRequiredError      the client named no purpose
    ├── UnknownPurposeError       the service declares no such purpose
    ├── PurposeNotGrantedError    the client's right does not cover the purpose
    ├── ConsentRequiredError      the purpose needs consent and none is active
    ├── AccessRevokedError        the right was revoked after the query was accepted
    ├── ConsentRevokedError       the consent was revoked or expired after acceptance
    └── PurposeDefinitionError    a service's purpose declaration is unusable (at load)

Each refusal names the header (``header:X-Hub-Purpose`` and the like) or field
at fault; none carries a personal value.
"""

from __future__ import annotations

from contracts.errors import FieldIssue, HubError


class AccessError(HubError):
    """Raised when access rights, purposes or consent do not allow an exchange."""

    code = "access-error"
    status = 403

    def __init__(self, message: str, *, path: str = "$", field: str | None = None) -> None:
        super().__init__(
            message, issues=(FieldIssue(path=path, reason=message, code=self.code, field=field),)
        )


class AccessDeniedError(AccessError):
    """Raised when the client holds no active right on the service (deny by default)."""

    code = "access-denied"


class PurposeRequiredError(AccessError):
    """Raised when the client did not say for which purpose it asks."""

    code = "purpose-required"


class UnknownPurposeError(AccessError):
    """Raised when the named purpose is not one the service declares."""

    code = "unknown-purpose"


class PurposeNotGrantedError(AccessError):
    """Raised when the client's right does not name the purpose it asks for."""

    code = "purpose-not-granted"


class ConsentRequiredError(AccessError):
    """Raised when the purpose needs the subject's consent and none is active."""

    code = "consent-required"


class AccessRevokedError(AccessError):
    """Raised at delivery when the right was revoked since the exchange was accepted."""

    code = "access-revoked"
    retryable = False


class ConsentRevokedError(AccessError):
    """Raised at delivery when the consent was revoked or expired since acceptance."""

    code = "consent-revoked"
    retryable = False


class PurposeDefinitionError(AccessError):
    """Raised when a service declares a purpose wrongly (unknown field path, no basis...)."""

    code = "bad-purpose"
    status = 500
