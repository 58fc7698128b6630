"""WS-Security 1.0 UsernameToken for the hub's calls to providers (the client side).

A provider that demands a UsernameToken gets, in the SOAP header of every call,
``wsse:Security/wsse:UsernameToken`` with the user name, a fresh random nonce,
the creation time and ``Password Type=...#PasswordDigest`` =
Base64(SHA-1(nonce ‖ created ‖ password)), in the OASIS WSS 1.0 namespaces. The
password itself never crosses the wire; the nonce and time let the provider
refuse a replayed header.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field

from lxml import etree

WSSE_NS = ("http://docs.oasis-open.org/wss/2004/01/"
           "oasis-200401-wss-wssecurity-secext-1.0.xsd")
WSU_NS = ("http://docs.oasis-open.org/wss/2004/01/"
          "oasis-200401-wss-wssecurity-utility-1.0.xsd")
PASSWORD_DIGEST = ("http://docs.oasis-open.org/wss/2004/01/"  # noqa: S105 - a type URI
                   "oasis-200401-wss-username-token-profile-1.0#PasswordDigest")
BASE64_BINARY = ("http://docs.oasis-open.org/wss/2004/01/"
                 "oasis-200401-wss-soap-message-security-1.0#Base64Binary")
_NONCE_BYTES = 16


def password_digest(nonce: bytes, created: str, password: str) -> str:
    """Base64(SHA-1(nonce ‖ created ‖ password)), as the UsernameToken profile defines it."""
    # SHA-1 is what the OASIS profile fixes; the provider computes the same to compare.
    digest = hashlib.sha1(nonce + created.encode() + password.encode())  # noqa: S324
    return base64.b64encode(digest.digest()).decode("ascii")


@dataclass(frozen=True)
class UsernameToken:
    """A provider account the hub proves with a password digest; makes one header per call."""

    username: str
    password: str = field(repr=False)

    def header(self, now: dt.datetime | None = None, nonce: bytes | None = None) -> etree._Element:
        """A fresh ``wsse:Security`` header block (new nonce, current time)."""
        nonce = nonce if nonce is not None else os.urandom(_NONCE_BYTES)
        created = (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        security = etree.Element(f"{{{WSSE_NS}}}Security", nsmap={"wsse": WSSE_NS, "wsu": WSU_NS})
        token = etree.SubElement(security, f"{{{WSSE_NS}}}UsernameToken")
        etree.SubElement(token, f"{{{WSSE_NS}}}Username").text = self.username
        password = etree.SubElement(token, f"{{{WSSE_NS}}}Password", Type=PASSWORD_DIGEST)
        password.text = password_digest(nonce, created, self.password)
        encoded = etree.SubElement(token, f"{{{WSSE_NS}}}Nonce", EncodingType=BASE64_BINARY)
        encoded.text = base64.b64encode(nonce).decode("ascii")
        etree.SubElement(token, f"{{{WSU_NS}}}Created").text = created
        return security
