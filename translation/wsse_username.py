"""WS-Security UsernameToken (OASIS WSS 1.0/1.1 Username Token Profile) read from SOAP headers.

Only what the hub checks is read: ``wsse:Username``, ``wsse:Password`` and its
``Type`` (PasswordDigest or PasswordText), ``wsse:Nonce`` (base64) and
``wsu:Created``. The digest is ``Base64(SHA-1(nonce + created + password))``
with the nonce's decoded bytes and the UTF-8 of the other two.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

from lxml import etree

from translation.errors import AdapterError

WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
_PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
PASSWORD_DIGEST = f"{_PROFILE}#PasswordDigest"
PASSWORD_TEXT = f"{_PROFILE}#PasswordText"
BASE64_BINARY = ("http://docs.oasis-open.org/wss/2004/01/"
                 "oasis-200401-wss-soap-message-security-1.0#Base64Binary")
SECURITY = f"{{{WSSE_NS}}}Security"
_TOKEN = f"{{{WSSE_NS}}}UsernameToken"


class UsernameTokenFormatError(AdapterError):
    """Raised when a UsernameToken cannot be read (the hub answers it as ``wss-malformed``)."""

    code = "wss-unreadable"
    status = 400


@dataclass(frozen=True)
class UsernameToken:
    """A UsernameToken as sent; ``password`` is the digest (or the text) and never logged."""

    username: str
    password: str
    password_type: Literal["digest", "text"]
    nonce: bytes
    created: str

    def __repr__(self) -> str:
        return f"UsernameToken(username={self.username!r}, password=<hidden>)"

    def created_at(self) -> dt.datetime:
        """``wsu:Created`` as an aware datetime (UsernameTokenFormatError if not xsd:dateTime)."""
        try:
            value = dt.datetime.fromisoformat(self.created.replace("Z", "+00:00"))
        except ValueError:
            raise UsernameTokenFormatError(f"wsu:Created {self.created!r} is not a dateTime"
                                           ) from None
        if value.tzinfo is None:
            raise UsernameTokenFormatError(f"wsu:Created {self.created!r} has no time zone")
        return value


def security_header(headers: tuple[etree._Element, ...]) -> etree._Element | None:
    """The ``wsse:Security`` header block, or None when the message has none."""
    found = [h for h in headers if h.tag == SECURITY]
    if len(found) > 1:
        raise UsernameTokenFormatError("wsse:Security is sent more than once; send it once")
    return found[0] if found else None


def read_username_token(security: etree._Element) -> UsernameToken:
    """The one UsernameToken in a ``wsse:Security`` header."""
    tokens = security.findall(_TOKEN)
    if len(tokens) != 1:
        raise UsernameTokenFormatError(
            f"wsse:Security must hold exactly one wsse:UsernameToken, found {len(tokens)}")
    token = tokens[0]
    username = _text(token, f"{{{WSSE_NS}}}Username")
    password = token.find(f"{{{WSSE_NS}}}Password")
    if not username or password is None or not (password.text or "").strip():
        raise UsernameTokenFormatError("wsse:UsernameToken needs wsse:Username and wsse:Password")
    kind = password.get("Type", PASSWORD_TEXT)  # the profile's default is PasswordText
    if kind not in (PASSWORD_DIGEST, PASSWORD_TEXT):
        raise UsernameTokenFormatError(f"wsse:Password Type {kind!r} is not a UsernameToken "
                                       "profile type")
    nonce = token.find(f"{{{WSSE_NS}}}Nonce")
    created = _text(token, f"{{{WSU_NS}}}Created")
    if kind == PASSWORD_DIGEST and (nonce is None or not created):
        raise UsernameTokenFormatError("a PasswordDigest token needs wsse:Nonce and wsu:Created")
    return UsernameToken(
        username=username,
        password=(password.text or "").strip(),
        password_type="digest" if kind == PASSWORD_DIGEST else "text",
        nonce=_nonce(nonce),
        created=created,
    )


def password_digest(nonce: bytes, created: str, password: str) -> str:
    """``Base64(SHA-1(nonce + created + password))`` of the Username Token Profile."""
    # SHA-1 is what the profile fixes; the nonce and window, not the hash, stop replays.
    raw = hashlib.sha1(nonce + created.encode() + password.encode())  # noqa: S324
    return base64.b64encode(raw.digest()).decode("ascii")


def digest_matches(token: UsernameToken, password: str) -> bool:
    """Whether the token's digest was made with ``password`` (constant-time compare)."""
    expected = password_digest(token.nonce, token.created, password)
    return hmac.compare_digest(expected.encode(), token.password.encode())


def _text(parent: etree._Element, tag: str) -> str:
    return (parent.findtext(tag) or "").strip()


def _nonce(element: etree._Element | None) -> bytes:
    if element is None:
        return b""
    encoding = element.get("EncodingType", BASE64_BINARY)
    if encoding != BASE64_BINARY:
        raise UsernameTokenFormatError(f"wsse:Nonce EncodingType {encoding!r}: send Base64Binary")
    try:
        value = base64.b64decode((element.text or "").strip(), validate=True)
    except (binascii.Error, ValueError):
        raise UsernameTokenFormatError("wsse:Nonce is not base64") from None
    if len(value) < 8:
        raise UsernameTokenFormatError("wsse:Nonce is shorter than 8 bytes: send a random one")
    return value
