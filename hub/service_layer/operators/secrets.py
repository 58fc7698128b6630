"""Keys of the console, derived from one region secret (32 bytes, KEK-wrapped in the key store).

Two sub-keys come out of that secret by HKDF-SHA256, each for one purpose, so
neither can stand in for the other:

- an AES-256-GCM key that seals each operator's TOTP secret (the operator's
  name is the associated data: a sealed secret moved to another account does
  not open);
- an HMAC-SHA256 key that signs session cookies and derives each session's CSRF
  token. The cookie names a session recorded in the ledger; the signature only
  keeps forged ids from reaching the store.

Rotating the KEK re-wraps the region secret, so neither sub-key changes: TOTP
secrets keep opening and sessions keep verifying.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hub.service_layer.operators.errors import OperatorError, SessionInvalidError

_NONCE = 12


def _derive(kek: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(kek)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class OperatorSecrets:
    """Seals TOTP secrets and signs session cookies under keys derived from the KEK."""

    def __init__(self, secret: bytes) -> None:
        self._aead = AESGCM(_derive(secret, b"interop-hub operators: totp secrets v1"))
        self._mac = _derive(secret, b"interop-hub operators: session cookies v1")

    def seal_totp(self, secret: str, operator: str) -> str:
        """The TOTP secret sealed for ``operator``'s account (base64url nonce ‖ ciphertext)."""
        nonce = os.urandom(_NONCE)
        return _b64(nonce + self._aead.encrypt(nonce, secret.encode("ascii"), operator.encode()))

    def open_totp(self, sealed: str, operator: str) -> str:
        """The TOTP secret of ``operator``; OperatorError when it does not open (wrong key)."""
        try:
            raw = _unb64(sealed)
            plain = self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], operator.encode())
        except (InvalidTag, ValueError, binascii.Error):
            raise OperatorError(
                f"the TOTP secret of {operator!r} does not open under this region's console key"
            ) from None
        return plain.decode("ascii")

    def cookie(self, session_id: UUID) -> str:
        """The cookie value naming ``session_id``: ``<id>.<signature>``."""
        return f"{session_id.hex}.{self._sign(b'session:' + session_id.bytes)}"

    def session_of(self, cookie: str) -> UUID:
        """The session a cookie names; SessionInvalidError when forged or malformed."""
        head, _, signature = cookie.partition(".")
        try:
            session_id = UUID(hex=head)
        except ValueError:
            raise SessionInvalidError("the session cookie is malformed") from None
        if not hmac.compare_digest(signature, self._sign(b"session:" + session_id.bytes)):
            raise SessionInvalidError("the session cookie is not signed by this hub")
        return session_id

    def csrf_token(self, session_id: UUID) -> str:
        """The token every form of this session carries (and every unsafe API call by cookie)."""
        return self._sign(b"csrf:" + session_id.bytes)

    def check_csrf(self, session_id: UUID, token: str) -> bool:
        """True when ``token`` is this session's CSRF token."""
        return hmac.compare_digest(token, self.csrf_token(session_id))

    def _sign(self, data: bytes) -> str:
        return _b64(hmac.new(self._mac, data, hashlib.sha256).digest())
