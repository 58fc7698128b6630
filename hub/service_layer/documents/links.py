"""Short-lived, scoped, signed download links.

A link names one document, one recipient department, the purpose it was disclosed for and
an expiry, signed with HMAC-SHA256 under a region secret (kept KEK-wrapped in the key store,
so a KEK rotation re-wraps it). Token::

    base64url(JSON {"d": document id, "r": recipient, "p": purpose, "e": expiry (unix s),
                    "n": nonce})
    "." base64url(HMAC-SHA256(secret, "interop-hub/document-link/v1" NUL payload))

HMAC rather than a signature: only this region's hub issues and checks its links; a peer
region fetches through its own hub. The download is refused when the token was altered,
when it expired, or when the department presenting it (by its own token) is not the
recipient it names: a leaked link is useless to anyone else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from hub.adapters.documents.errors import DocumentLinkRefused

LINK_SECRET = "document-links"  # noqa: S105 - a key store row name, not a secret
"""The name of the region secret links are signed under."""
DEFAULT_TTL_S = 300.0
_CONTEXT = b"interop-hub/document-link/v1\x00"


@dataclass(frozen=True)
class Link:
    """A signed link and what it allows."""

    token: str
    document_id: str
    recipient: str
    purpose: str
    expires_at: float  # unix seconds


class LinkSigner:
    """Issues and checks links under one region secret."""

    def __init__(self, secret: bytes, *, ttl_s: float = DEFAULT_TTL_S,
                 clock: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self.ttl_s = ttl_s
        self._clock = clock

    def issue(self, document_id: str, recipient: str, purpose: str) -> Link:
        """A link to ``document_id`` for ``recipient`` and ``purpose``, valid ``ttl_s``."""
        expires = int(self._clock() + self.ttl_s)
        payload = json.dumps({"d": document_id, "r": recipient, "p": purpose, "e": expires,
                              "n": os.urandom(6).hex()}, separators=(",", ":")).encode()
        token = f"{_b64(payload)}.{_b64(self._mac(payload))}"
        return Link(token, document_id, recipient, purpose, float(expires))

    def check(self, token: str, caller: str) -> Link:
        """The link ``token`` stands for, if ``caller`` may use it now; else refused."""
        try:
            encoded, mac = token.split(".", 1)
            payload = _unb64(encoded)
            valid = hmac.compare_digest(_unb64(mac), self._mac(payload))
            claims = json.loads(payload) if valid else {}
            document_id, recipient, expires = str(claims["d"]), str(claims["r"]), claims["e"]
            purpose = str(claims["p"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            valid = False
        if not valid:
            raise DocumentLinkRefused("the download link was altered or is not one this hub "
                                      "issued", field="link", path="path:token",
                                      issue="link-invalid")
        if not isinstance(expires, int) or expires <= self._clock():
            raise DocumentLinkRefused("the download link has expired; ask for a new one",
                                      field="link", path="path:token", issue="link-expired")
        if recipient != caller:
            raise DocumentLinkRefused(
                f"the download link was issued to {recipient}, not to {caller}",
                field="link", path="path:token", issue="link-recipient")
        return Link(token, document_id, recipient, purpose, float(expires))

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, _CONTEXT + payload, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
