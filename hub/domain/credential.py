"""The ``Credential`` aggregate: a department's or operator's API token, from issue to revocation.

Issued (principal, kind, verifier, expires_at, and for a department the public
nkey of its NATS user) → Rotated (new verifier and expiry; the old secret stops
working at once) → Revoked (reason). Between issue and revocation a credential
may be Suspended (by the access watch, naming the anomaly that caused it) and
Resumed (by an operator, with a reason): a suspended credential authenticates
nobody, but unlike a revoked one it can come back. The aggregate never holds a token or a
secret: only the verifier, an HMAC of the secret (:mod:`hub.service_layer.security.tokens`).
It lives in the ledger's event store, so every issue, rotation and revocation
is a leaf of the audit Merkle log like any exchange.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from eventsourcing.domain import Aggregate, event

from hub.domain.credential_errors import CredentialError


class CredentialKind(StrEnum):
    """Who a credential identifies: a department of this region, or an operator."""

    DEPARTMENT = "department"
    OPERATOR = "operator"


class Credential(Aggregate):
    """One API token's history: who it identifies, its current verifier, whether it is valid."""

    TOPIC = "interop-hub:credential"

    class Event(Aggregate.Event):
        """Base of every credential event."""

        TOPIC = "interop-hub:credential.event"

    class Created(Event, Aggregate.Created):
        """Base of the creation event."""

        TOPIC = "interop-hub:credential.created"

    class Issued(Created):
        """A credential was issued (``expires_at`` RFC 3339 UTC; ``nkey`` public, may be "")."""

        TOPIC = "interop-hub:credential.issued"
        class_version = 1
        principal: str
        kind: str
        verifier: str
        expires_at: str
        nkey: str

    @event(Issued)
    def __init__(
        self, principal: str, kind: str, verifier: str, expires_at: str, nkey: str
    ) -> None:
        self.principal = principal
        self.kind = CredentialKind(kind)
        self.verifier = verifier
        self.expires_at = expires_at
        self.nkey = nkey
        self.revoked_reason: str | None = None
        self.suspended_reason: str | None = None
        self.suspensions: list[str] = []  # the anomalies it was ever suspended for

    class Rotated(Event):
        """A new secret replaced the old one (which no longer authenticates)."""

        TOPIC = "interop-hub:credential.rotated"
        class_version = 1
        verifier: str
        expires_at: str

    @event(Rotated)
    def _rotate(self, verifier: str, expires_at: str) -> None:
        self.verifier = verifier
        self.expires_at = expires_at

    def rotate(self, verifier: str, expires_at: str) -> None:
        """Replace the verifier; a revoked credential cannot come back this way."""
        self._check_active("rotate")
        self._rotate(verifier, expires_at)

    class Revoked(Event):
        """The credential was revoked and authenticates nobody from now on."""

        TOPIC = "interop-hub:credential.revoked"
        class_version = 1
        reason: str

    @event(Revoked)
    def _revoke(self, reason: str) -> None:
        self.revoked_reason = reason

    def revoke(self, reason: str) -> None:
        """Revoke the credential (once)."""
        self._check_active("revoke")
        self._revoke(reason)

    class Suspended(Event):
        """The credential stops authenticating until resumed (``anomaly``: the alarm's id)."""

        TOPIC = "interop-hub:credential.suspended"
        class_version = 1
        reason: str
        anomaly: str

    @event(Suspended)
    def _suspend(self, reason: str, anomaly: str) -> None:
        self.suspended_reason = reason
        self.suspensions.append(anomaly)

    def suspend(self, reason: str, anomaly: str) -> None:
        """Suspend an active credential (a suspended one stays as it is: check first)."""
        self._check_active("suspend")
        if self.suspended:
            raise CredentialError(f"credential {self.id.hex} is suspended already")
        self._suspend(reason, anomaly)

    class Resumed(Event):
        """An operator lifted the suspension; the credential authenticates again."""

        TOPIC = "interop-hub:credential.resumed"
        class_version = 1
        by: str
        reason: str

    @event(Resumed)
    def _resume(self, by: str, reason: str) -> None:
        self.suspended_reason = None

    def resume(self, by: str, reason: str) -> None:
        """Lift a suspension; a credential that is not suspended cannot be resumed."""
        self._check_active("resume")
        if not self.suspended:
            raise CredentialError(f"credential {self.id.hex} is not suspended")
        self._resume(by, reason)

    @property
    def suspended(self) -> bool:
        return self.suspended_reason is not None

    @property
    def revoked(self) -> bool:
        return self.revoked_reason is not None

    def expired(self, now: dt.datetime) -> bool:
        """Whether the credential is past its expiry at ``now``."""
        return now >= dt.datetime.fromisoformat(self.expires_at)

    def _check_active(self, action: str) -> None:
        if self.revoked:
            raise CredentialError(
                f"cannot {action} credential {self.id.hex}: it was revoked ({self.revoked_reason})"
            )
