"""Why a citizen's ID token is refused: one class, one stable code per reason.

Every refusal is a 401 (the portal must obtain a new token), except a full
replay cache, which is the hub's trouble (503, try again shortly).
"""

from __future__ import annotations

from contracts.errors import FieldIssue, HubError


class IdTokenError(HubError):
    """Raised when a citizen's ID token cannot be accepted; ``claim`` names the culprit."""

    code = "id-token-refused"
    status = 401

    def __init__(self, message: str, *, claim: str = "") -> None:
        super().__init__(message, issues=(FieldIssue(
            path=f"$.{claim}" if claim else "$", reason=message, code=self.code,
            field=claim or None),))
        self.claim = claim


class IdTokenMissingError(IdTokenError):
    """Raised when a request carries no ``Authorization: Bearer`` ID token."""

    code = "id-token-missing"


class IdTokenMalformedError(IdTokenError):
    """Raised when the token is not a compact JWS carrying a JSON claims object."""

    code = "id-token-malformed"


class AlgorithmRefusedError(IdTokenError):
    """Raised when the token's ``alg`` is not one of the allowed asymmetric algorithms."""

    code = "id-token-algorithm-refused"


class UntrustedIssuerError(IdTokenError):
    """Raised when ``iss`` names no identity provider this region trusts."""

    code = "id-token-untrusted-issuer"


class BadSignatureError(IdTokenError):
    """Raised when no key of the issuer's JWKS verifies the signature."""

    code = "id-token-bad-signature"


class WrongAudienceError(IdTokenError):
    """Raised when ``aud`` does not name this region's citizen audience."""

    code = "id-token-wrong-audience"


class TokenExpiredError(IdTokenError):
    """Raised when ``exp`` is past (beyond the leeway)."""

    code = "id-token-expired"


class TokenNotYetValidError(IdTokenError):
    """Raised when ``nbf`` or ``iat`` is in the future (beyond the leeway)."""

    code = "id-token-not-yet-valid"


class TokenReplayedError(IdTokenError):
    """Raised when the token's ``jti`` was accepted before."""

    code = "id-token-replayed"


class NonceMismatchError(IdTokenError):
    """Raised when the portal says which ``nonce`` it sent in its authentication request
    and the token carries another: the token was issued for another login (injected)."""

    code = "id-token-nonce-mismatch"


class MissingClaimError(IdTokenError):
    """Raised when a required claim (``iss``, ``aud``, ``exp``, ``iat``, ``jti``, the
    national id claim) is absent."""

    code = "id-token-missing-claim"


class InvalidClaimError(IdTokenError):
    """Raised when a claim is present but unusable (a national id of the wrong shape, a
    lifetime longer than allowed, a claim of the wrong type)."""

    code = "id-token-invalid-claim"


class ReplayCacheFullError(IdTokenError):
    """Raised when the replay cache holds its maximum of unexpired tokens (try shortly)."""

    code = "id-token-replay-cache-full"
    status = 503
    retryable = True


class IssuerConfigError(HubError):
    """Raised at start-up when a trusted issuer's JWKS file cannot be read or holds no
    usable public key."""

    code = "id-token-issuer-config"
    status = 500
