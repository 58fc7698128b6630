"""Refusals of legacy proofs of identity: WS-Security UsernameToken and TLS client certificates.

AuthenticationError (401)
├── UsernameTokenError           the UsernameToken is not usable (``wss-malformed``,
│                                ``wss-password-text-refused``)
├── UnknownUsernameError         no department has that username (``wss-unknown-user``)
├── WrongPasswordError           the digest does not match (``wss-wrong-password``)
├── StaleTokenError              Created outside the window (``wss-expired``)
├── ReplayedNonceError           the nonce was used before (``wss-replayed``)
└── UnknownCertificateError      the client certificate names no department
                                 (``certificate-unknown``)

Each names the SOAP header (or the TLS layer) as its issue path; none carries a
password, digest or nonce.
"""

from __future__ import annotations

from hub.domain.credential_errors import AuthenticationError

SECURITY_PATH = "/Envelope/Header/wsse:Security/wsse:UsernameToken"
TLS_PATH = "tls:client-certificate"


class UsernameTokenError(AuthenticationError):
    """Raised when the wsse:Security header holds no usable UsernameToken."""

    code = "wss-malformed"

    def __init__(self, reason: str) -> None:
        super().__init__(reason, path=SECURITY_PATH)


class PasswordTextRefusedError(UsernameTokenError):
    """Raised for a PasswordText token: the hub accepts PasswordDigest only."""

    code = "wss-password-text-refused"

    def __init__(self) -> None:
        super().__init__("a PasswordText UsernameToken is refused: send the password as a "
                         "PasswordDigest (Base64(SHA-1(nonce + created + password)))")


class UnknownUsernameError(AuthenticationError):
    """Raised when no department's UsernameToken has this username."""

    code = "wss-unknown-user"

    def __init__(self, username: str) -> None:
        super().__init__(f"username {username!r} is not set for any department "
                         "(interop-hub credentials wss-set DEPARTMENT --username U)",
                         path=SECURITY_PATH)


class WrongPasswordError(AuthenticationError):
    """Raised when the PasswordDigest does not match the department's password."""

    code = "wss-wrong-password"

    def __init__(self, username: str) -> None:
        super().__init__(f"the password digest of {username!r} is wrong (or the password "
                         "was rotated)", path=SECURITY_PATH)


class StaleTokenError(AuthenticationError):
    """Raised when Created is older than the window or too far in the future."""

    code = "wss-expired"

    def __init__(self, created: str, window_s: int, skew_s: int) -> None:
        super().__init__(f"wsu:Created {created} is outside the accepted window ({window_s} s "
                         f"old at most, {skew_s} s ahead at most): send a fresh token with a "
                         "correct clock", path=SECURITY_PATH)


class ReplayedNonceError(AuthenticationError):
    """Raised when the UsernameToken's nonce was already used within the window."""

    code = "wss-replayed"

    def __init__(self, username: str) -> None:
        super().__init__(f"the nonce of {username!r}'s token was already used: each request "
                         "needs a fresh nonce", path=SECURITY_PATH)


class UnknownCertificateError(AuthenticationError):
    """Raised when a verified client certificate names no department."""

    code = "certificate-unknown"

    def __init__(self, subject: str) -> None:
        super().__init__(f"the client certificate {subject!r} is bound to no department "
                         "(interop-hub credentials cert-bind DEPARTMENT --subject DN)",
                         path=TLS_PATH)
