"""Verifying a citizen's OIDC-style ID token (a JWT) presented by a portal.

The checks, in the order a refusal names the first that fails:

1. the token is a compact JWS whose payload is a JSON object (``id-token-malformed``);
2. its ``alg`` is one of :data:`ALLOWED_ALGORITHMS`, all asymmetric: never ``none``, never
   an HMAC (a verifier that accepts HS256 may be fooled into using a public key as the
   HMAC secret) (``id-token-algorithm-refused``);
3. ``iss`` names an identity provider the region trusts (``id-token-untrusted-issuer``);
4. a key of that issuer's JWKS verifies the signature (joserfc) (``id-token-bad-signature``);
5. ``aud`` names this region's citizen audience (``id-token-wrong-audience``);
6. ``exp`` is not past, ``iat`` and ``nbf`` not in the future, each with a small leeway
   (``id-token-expired``, ``id-token-not-yet-valid``), and the token lives no longer than
   the configured maximum (``id-token-invalid-claim``);
7. the token has a ``jti`` (or, without one, a ``nonce``) and the national id claim holds a
   national id (``id-token-missing-claim``, ``id-token-invalid-claim``);
8. when the portal states the nonce of its authentication request (``expected_nonce``), the
   token's ``nonce`` equals it, compared in constant time (``id-token-missing-claim`` without
   one, ``id-token-nonce-mismatch`` when it differs): a token obtained for another login
   (stolen or injected into this portal's session) is refused;
9. that ``jti``/``nonce`` has not been seen while the token is valid (``id-token-replayed``).

A claim that a step needs and the token lacks is ``id-token-missing-claim`` at that step.

Which claim holds the person's national id is configured (``HUB_CITIZEN_ID_CLAIM``,
default ``national_id``): eID schemes name it differently, and ``sub`` is often a
pairwise pseudonym that the hub could not match to a department's records.
"""

from __future__ import annotations

import hmac
import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import DecodeError, JoseError
from joserfc.jwk import KeySet

from hub.adapters.crypto.errors import SubjectError
from hub.adapters.crypto.subjects import normalise
from hub.adapters.id_tokens.errors import (
    AlgorithmRefusedError,
    BadSignatureError,
    IdTokenMalformedError,
    InvalidClaimError,
    MissingClaimError,
    NonceMismatchError,
    TokenExpiredError,
    TokenNotYetValidError,
    UntrustedIssuerError,
    WrongAudienceError,
)
from hub.adapters.id_tokens.replay import ReplayCache

ALLOWED_ALGORITHMS = ("RS256", "PS256", "ES256", "ES384", "Ed25519")
"""Asymmetric signature algorithms an identity provider may sign ID tokens with."""

MAX_TOKEN_CHARS = 16_384  # an ID token is a few hundred bytes; refuse before parsing a huge one
MAX_NONCE_CHARS = 1_000  # OIDC sets no bound; a portal's nonce is a few dozen characters


@dataclass(frozen=True)
class VerifiedToken:
    """What a verified ID token says: who, from which provider, through which portal."""

    national_id: str
    issuer: str
    portal: str
    token_id: str
    expires_at: float


@dataclass(frozen=True)
class Claimed:
    """What a token claims before verification (for recording a refusal): never trusted."""

    issuer: str = ""
    portal: str = ""


class IdTokenVerifier:
    """Verifies ID tokens against the trusted issuers' JWKS and remembers each one used."""

    def __init__(self, issuers: Mapping[str, KeySet], *, audience: str, id_claim: str,
                 leeway_s: int, max_lifetime_s: int, replay: ReplayCache,
                 clock: Callable[[], float] = time.time) -> None:
        self._issuers = dict(issuers)
        self.audience = audience
        self.id_claim = id_claim
        self._leeway = leeway_s
        self._max_lifetime = max_lifetime_s
        self._replay = replay
        self._clock = clock

    def verify(self, token: str, expected_nonce: str | None = None) -> VerifiedToken:
        """The token's person and provenance; raises an :class:`IdTokenError` subclass.

        ``expected_nonce``: the nonce the portal put in its authentication request, when it
        says; the token's ``nonce`` must then be exactly that.
        """
        header, claims = _unverified(token)
        alg = header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise AlgorithmRefusedError(
                f"alg {alg!r} is not accepted; sign with one of {', '.join(ALLOWED_ALGORITHMS)}",
                claim="alg")
        issuer = _text(claims, "iss")
        keys = self._issuers.get(issuer)
        if keys is None:
            raise UntrustedIssuerError(
                f"issuer {issuer[:200]!r} is not an identity provider this region trusts",
                claim="iss")
        try:
            jwt.decode(token, keys, algorithms=[str(alg)])
        except DecodeError as exc:
            raise IdTokenMalformedError(f"the token cannot be decoded: {exc}") from None
        except JoseError:
            raise BadSignatureError(
                f"no key of {issuer}'s JWKS verifies the token's signature") from None
        now = self._clock()
        expires_at = self._check_times(claims, now)
        token_id = _token_id(claims)
        national_id = self._national_id(claims)
        if expected_nonce is not None:
            _check_nonce(claims, expected_nonce)
        self._replay.remember(issuer, token_id, expires_at + self._leeway, now)
        portal = claims.get("azp")
        return VerifiedToken(national_id, issuer, portal if isinstance(portal, str) else "",
                             token_id, expires_at)

    def claimed(self, token: str) -> Claimed:
        """The issuer and portal a token claims, unverified and shortened ("" if unreadable)."""
        try:
            _, claims = _unverified(token)
        except IdTokenMalformedError:
            return Claimed()
        issuer, portal = claims.get("iss"), claims.get("azp")
        return Claimed(issuer[:200] if isinstance(issuer, str) else "",
                       portal[:200] if isinstance(portal, str) else "")

    def _check_times(self, claims: Mapping[str, Any], now: float) -> float:
        audience = claims.get("aud")
        if audience is None:
            raise MissingClaimError("the token has no aud claim", claim="aud")
        audiences = [audience] if isinstance(audience, str) else audience
        if not isinstance(audiences, list) or self.audience not in audiences:
            raise WrongAudienceError(
                f"aud {audience!r} does not name this region's citizen audience "
                f"{self.audience!r}", claim="aud")
        expires, issued = _number(claims, "exp"), _number(claims, "iat")
        if now > expires + self._leeway:
            raise TokenExpiredError(f"the token expired {int(now - expires)} s ago", claim="exp")
        if issued > now + self._leeway:
            raise TokenNotYetValidError("the token is issued in the future (iat)", claim="iat")
        if "nbf" in claims and _number(claims, "nbf") > now + self._leeway:
            raise TokenNotYetValidError("the token is not valid yet (nbf)", claim="nbf")
        if expires - issued > self._max_lifetime:
            raise InvalidClaimError(
                f"the token lives {int(expires - issued)} s; at most {self._max_lifetime} s "
                "are accepted", claim="exp")
        return expires

    def _national_id(self, claims: Mapping[str, Any]) -> str:
        value = claims.get(self.id_claim)
        if value is None:
            raise MissingClaimError(
                f"the token has no {self.id_claim} claim (the person's national id)",
                claim=self.id_claim)
        if not isinstance(value, str):
            raise InvalidClaimError(f"claim {self.id_claim} is not a string",
                                    claim=self.id_claim)
        try:
            return normalise(value)
        except SubjectError:
            raise InvalidClaimError(f"claim {self.id_claim} does not hold a national id",
                                    claim=self.id_claim) from None


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims as written, before any check."""
    if len(token) > MAX_TOKEN_CHARS:
        raise IdTokenMalformedError(f"the token is longer than {MAX_TOKEN_CHARS} characters")
    try:
        compact = jws.extract_compact(token.encode("ascii"))
        header = compact.headers()
        claims = json.loads(compact.payload)
    except (JoseError, ValueError, UnicodeError):
        raise IdTokenMalformedError(
            "the token is not a compact JWS (header.payload.signature, base64url) whose "
            "payload is JSON") from None
    if not isinstance(claims, dict) or not isinstance(header, dict):
        raise IdTokenMalformedError("the token's payload is not a JSON object")
    return header, claims


def _text(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    if value is None:
        raise MissingClaimError(f"the token has no {name} claim", claim=name)
    if not isinstance(value, str):
        raise InvalidClaimError(f"claim {name} is not a string", claim=name)
    return value


def _number(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    if value is None:
        raise MissingClaimError(f"the token has no {name} claim", claim=name)
    # JSON as Python reads it admits NaN and Infinity: neither is a time, and NaN passes
    # every comparison the checks make (a token that never expires, a replay-cache entry
    # never pruned), so only a finite number of seconds is a time.
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not math.isfinite(value)):
        raise InvalidClaimError(f"claim {name} is not a finite number of seconds", claim=name)
    return float(value)


def _check_nonce(claims: Mapping[str, Any], expected: str) -> None:
    """The token's ``nonce`` is ``expected`` (constant time: a timing difference would let
    an attacker guess a pending login's nonce byte by byte)."""
    if not expected or len(expected) > MAX_NONCE_CHARS:
        raise NonceMismatchError(
            f"the expected nonce must be 1 to {MAX_NONCE_CHARS} characters", claim="nonce")
    value = claims.get("nonce")
    if value is None:
        raise MissingClaimError("the token has no nonce claim, and the portal expects one",
                                claim="nonce")
    if not isinstance(value, str):
        raise InvalidClaimError("claim nonce is not a string", claim="nonce")
    if not hmac.compare_digest(value.encode("utf-8"), expected.encode("utf-8")):
        raise NonceMismatchError(
            "the token's nonce is not the one the portal sent in its authentication request: "
            "the token was issued for another login", claim="nonce")


def _token_id(claims: Mapping[str, Any]) -> str:
    """``jti``, else ``nonce``: what makes the token single-use."""
    for name in ("jti", "nonce"):
        value = claims.get(name)
        if isinstance(value, str) and value:
            return value[:200]
    raise MissingClaimError("the token has neither jti nor nonce, so it could be replayed",
                            claim="jti")
