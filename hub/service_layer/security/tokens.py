"""API token format and verifiers: ``ihk_<credential id hex>_<secret>``, stored only as an HMAC.

The secret is 256 random bits (base64url, 43 characters). The event store keeps
the *verifier*, HMAC-SHA256 of the secret under the
region's verifier key. That key is a region secret in the key store, wrapped
under the KEK like the subject keys
(:meth:`hub.service_layer.privacy.keyring.SubjectKeyring.secret`)
rather than derived from the KEK bytes: a KEK rotation then re-wraps it and
every issued token keeps working. Someone who reads the event store (or a
backup) cannot test guesses without the KEK; tokens are compared in constant
time (:func:`hmac.compare_digest`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from uuid import UUID

from hub.domain.credential_errors import (
    MalformedCredentialsError,
    MissingCredentialsError,
)

PREFIX = "ihk"
VERIFIER_SECRET = "credential-verifier"  # noqa: S105 - a key store row name, not a secret
_SECRET_BYTES = 32
_TOKEN = re.compile(r"^ihk_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class Token:
    """A parsed token; ``secret`` never goes into an event, a log line or an error."""

    credential_id: UUID
    secret: str

    def __str__(self) -> str:
        return f"{PREFIX}_{self.credential_id.hex}_{self.secret}"

    def __repr__(self) -> str:  # a token in a traceback or a log must not show its secret
        return f"Token(credential_id={self.credential_id.hex}, secret=<hidden>)"


def new_secret() -> str:
    """A fresh 256-bit random token secret (base64url, no padding)."""
    raw = secrets.token_bytes(_SECRET_BYTES)
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def verifier(key: bytes, secret: str) -> str:
    """The stored form of a token secret: HMAC-SHA256 (hex) under the verifier ``key``."""
    return hmac.new(key, secret.encode("ascii"), hashlib.sha256).hexdigest()


def matches(key: bytes, token: Token, stored: str) -> bool:
    """Whether ``token``'s secret is the one ``stored`` was made from (constant time)."""
    return hmac.compare_digest(verifier(key, token.secret), stored)


def parse_authorization(header: str | None) -> Token:
    """The token of an ``Authorization: Bearer ihk_…`` header value."""
    if header is None or not header.strip():
        raise MissingCredentialsError()
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise MalformedCredentialsError(
            f"the Authorization scheme must be Bearer, got {scheme[:16]!r}"
        )
    match = _TOKEN.match(value.strip())
    if match is None:
        raise MalformedCredentialsError(
            "the bearer token is not a hub token (ihk_<32 hex>_<43 base64url characters>)"
        )
    return Token(UUID(hex=match.group(1)), match.group(2))
