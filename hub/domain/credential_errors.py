"""Errors of department and operator identity, rooted in :class:`contracts.errors.HubError`.

HubError
└── SecurityError                      who may do what: identity, rights, consent
    ├── AuthenticationError            HTTP 401 (``WWW-Authenticate: Bearer``)
    │   ├── MissingCredentialsError    no ``Authorization`` header
    │   ├── MalformedCredentialsError  not ``Bearer ihk_<id>_<secret>``
    │   ├── UnknownCredentialError     no credential with that id
    │   ├── WrongCredentialError       the secret does not match the verifier
    │   ├── ExpiredCredentialError     past its ``expires_at``
    │   ├── RevokedCredentialError     revoked by an operator
    │   └── SuspendedCredentialError   suspended after an access anomaly, until resumed
    ├── ClientMismatchError            HTTP 403: ``X-Hub-Client`` names another department
    ├── OperatorRequiredError          HTTP 403: a department token on an operator endpoint
    ├── DepartmentRequiredError        HTTP 403: an operator token where a department asks
    └── CredentialError                issuing, rotating or revoking failed (bad principal,
                                       unknown or revoked credential)

No message ever contains a token or any part of its secret.
"""

from __future__ import annotations

from contracts.errors import FieldIssue, HubError

AUTHORIZATION_PATH = "header:Authorization"


class SecurityError(HubError):
    """Raised when a caller may not do what it asked (identity, rights, consent)."""

    code = "security-error"
    status = 403


class AuthenticationError(SecurityError):
    """Raised when a request's credentials do not identify a principal (HTTP 401)."""

    code = "authentication-failed"
    status = 401
    status = 401

    def __init__(self, reason: str, *, path: str = AUTHORIZATION_PATH) -> None:
        super().__init__(
            f"authentication failed: {reason}",
            issues=(FieldIssue(path=path, reason=reason, code=self.code, field="authorization"),),
        )
        self.reason = reason


class MissingCredentialsError(AuthenticationError):
    """Raised when a request carries no ``Authorization`` header."""

    code = "missing-credentials"

    def __init__(self) -> None:
        super().__init__(
            "no credentials: send 'Authorization: Bearer <token>' with a token the hub issued "
            "(interop-hub credentials issue)"
        )


class MalformedCredentialsError(AuthenticationError):
    """Raised when the ``Authorization`` header is not a hub bearer token."""

    code = "malformed-credentials"


class UnknownCredentialError(AuthenticationError):
    """Raised when the token names a credential this hub never issued."""

    code = "unknown-credential"

    def __init__(self, credential_id: str) -> None:
        super().__init__(f"credential {credential_id} is unknown to this hub")
        self.credential_id = credential_id


class WrongCredentialError(AuthenticationError):
    """Raised when the token's secret does not match its credential (wrong or rotated)."""

    code = "wrong-credential"

    def __init__(self, credential_id: str) -> None:
        super().__init__(
            f"the secret of credential {credential_id} is wrong (or the credential was rotated)"
        )
        self.credential_id = credential_id


class ExpiredCredentialError(AuthenticationError):
    """Raised when the credential is past its expiry."""

    code = "expired-credential"

    def __init__(self, credential_id: str, expires_at: str) -> None:
        super().__init__(
            f"credential {credential_id} expired at {expires_at}; rotate it "
            "(interop-hub credentials rotate)"
        )
        self.credential_id = credential_id


class RevokedCredentialError(AuthenticationError):
    """Raised when the credential was revoked."""

    code = "revoked-credential"

    def __init__(self, credential_id: str, reason: str) -> None:
        super().__init__(f"credential {credential_id} was revoked: {reason}")
        self.credential_id = credential_id


class SuspendedCredentialError(AuthenticationError):
    """Raised when the credential is suspended (an access anomaly) and not yet resumed."""

    code = "suspended-credential"

    def __init__(self, credential_id: str, reason: str) -> None:
        super().__init__(f"credential {credential_id} is suspended: {reason}; an operator "
                         "resumes it (interop-hub credentials resume)")
        self.credential_id = credential_id


class ClientMismatchError(SecurityError):
    """Raised when a request names a client other than the department its token belongs to."""

    code = "client-mismatch"
    status = 403

    def __init__(self, claimed: str, authenticated: str, *, path: str) -> None:
        reason = (
            f"the request names client {claimed!r} but its token belongs to {authenticated!r}; "
            "a department may only ask as itself"
        )
        super().__init__(
            reason, issues=(FieldIssue(path=path, reason=reason, code=self.code, field="client"),)
        )
        self.claimed = claimed
        self.authenticated = authenticated


class OperatorRequiredError(SecurityError):
    """Raised when a department (not an operator) calls an operator endpoint."""

    code = "operator-required"
    status = 403

    def __init__(self, principal: str) -> None:
        reason = f"{principal} is not an operator; this endpoint needs an operator token"
        super().__init__(
            reason,
            issues=(FieldIssue(path=AUTHORIZATION_PATH, reason=reason, code=self.code,
                               field="authorization"),),
        )


class DepartmentRequiredError(SecurityError):
    """Raised when an operator token is used where only a department may ask (an exchange)."""

    code = "department-required"
    status = 403

    def __init__(self, principal: str) -> None:
        reason = (f"{principal} is an operator; exchanges are asked by departments, "
                  "with a department token")
        super().__init__(
            reason,
            issues=(FieldIssue(path=AUTHORIZATION_PATH, reason=reason, code=self.code,
                               field="authorization"),),
        )


class CredentialError(SecurityError):
    """Raised when a credential cannot be issued, rotated or revoked as asked."""

    code = "credential-error"
    status = 400
