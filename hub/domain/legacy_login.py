"""How a department's legacy clients may prove who they are without a bearer token.

One ``LegacyLogin`` aggregate per department (its id derived from the
department, so a second ``set`` finds the first): a WS-Security UsernameToken
(username and the password *sealed* under a region secret, since a
PasswordDigest can only be checked with the password itself) and the TLS
client-certificate identities (subject DN or a SAN value) that name the
department. ``NonceUsed`` records one UsernameToken nonce: its id is derived
from department and nonce, so a second use fails to save in any process on
the same store, which is what refuses a replay.
"""

from __future__ import annotations

import uuid

from eventsourcing.domain import Aggregate, event

_LOGIN_NS = uuid.UUID("6f0b6d1e-58a4-4c1e-9b8e-2f4d1c7a9e01")
_NONCE_NS = uuid.UUID("0c9e3a52-7b1d-4f6e-8a2c-5d3b9f1e4a07")


def login_id(department: str) -> uuid.UUID:
    """The id of ``department``'s legacy login aggregate."""
    return uuid.uuid5(_LOGIN_NS, department)


def nonce_id(department: str, nonce: str) -> uuid.UUID:
    """The id of one nonce's use by ``department``."""
    return uuid.uuid5(_NONCE_NS, f"{department}\x00{nonce}")


class LegacyLogin(Aggregate):
    """A department's UsernameToken and certificate identities."""

    TOPIC = "interop-hub:legacy-login"

    class Event(Aggregate.Event):
        """Base of every legacy login event."""

        TOPIC = "interop-hub:legacy-login.event"

    class Created(Event, Aggregate.Created):
        """Base of the creation event."""

        TOPIC = "interop-hub:legacy-login.created"

    class Opened(Created):
        """The department's legacy login record was opened."""

        TOPIC = "interop-hub:legacy-login.opened"
        class_version = 1
        department: str

    @classmethod
    def open(cls, department: str) -> LegacyLogin:
        """A new record for ``department`` (with the department's derived id)."""
        return cls._create(cls.Opened, id=login_id(department), department=department)

    @event(Opened)
    def __init__(self, department: str) -> None:
        self.department = department
        self.username = ""
        self.sealed_password = ""
        self.certificates: list[str] = []

    class UsernameTokenSet(Event):
        """The UsernameToken was set or rotated (the password sealed, base64)."""

        TOPIC = "interop-hub:legacy-login.username-token-set"
        class_version = 1
        username: str
        sealed_password: str

    @event(UsernameTokenSet)
    def set_username_token(self, username: str, sealed_password: str) -> None:
        """Set (or rotate) the UsernameToken; the previous password stops working."""
        self.username = username
        self.sealed_password = sealed_password

    class CertificateBound(Event):
        """A client certificate identity (``subject:<DN>``, ``dns:<name>``...) names it."""

        TOPIC = "interop-hub:legacy-login.certificate-bound"
        class_version = 1
        identity: str

    @event(CertificateBound)
    def bind_certificate(self, identity: str) -> None:
        """Let a certificate with ``identity`` stand for the department."""
        self.certificates.append(identity)


class NonceUsed(Aggregate):
    """One UsernameToken nonce, used once by a department at ``created``."""

    TOPIC = "interop-hub:legacy-nonce"

    class Event(Aggregate.Event):
        """Base of every nonce event."""

        TOPIC = "interop-hub:legacy-nonce.event"

    class Created(Event, Aggregate.Created):
        """Base of the creation event."""

        TOPIC = "interop-hub:legacy-nonce.created"

    class Used(Created):
        """The nonce was used."""

        TOPIC = "interop-hub:legacy-nonce.used"
        class_version = 1
        department: str
        created: str

    @classmethod
    def use(cls, department: str, nonce: str, created: str) -> NonceUsed:
        """The record of ``nonce``'s one use (saving a second one conflicts)."""
        return cls._create(cls.Used, id=nonce_id(department, nonce), department=department,
                           created=created)

    @event(Used)
    def __init__(self, department: str, created: str) -> None:
        self.department = department
        self.created = created
