"""The credentials read model: what authenticating a token and listing NATS users need.

One entry per credential: principal, kind, the verifier (an HMAC of the secret,
never the secret), expiry, the public nkey of a department's NATS user, and the
revocation reason if revoked, the suspension reason while suspended. No personal
data: principals are departments and operator account names.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from hub.domain.credential import Credential, CredentialKind


@dataclass(frozen=True, slots=True)
class CredentialEntry:
    """One credential as the ledger has it now."""

    credential_id: UUID
    principal: str
    kind: CredentialKind
    verifier: str
    expires_at: str
    nkey: str
    revoked_reason: str | None = None
    suspended_reason: str | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_reason is not None

    @property
    def suspended(self) -> bool:
        return self.suspended_reason is not None

    def expired(self, now: dt.datetime) -> bool:
        """Whether the credential is past its expiry at ``now``."""
        return now >= dt.datetime.fromisoformat(self.expires_at)

    def status(self, now: dt.datetime) -> str:
        """``active``, ``expired``, ``suspended`` or ``revoked``."""
        if self.revoked:
            return "revoked"
        return "expired" if self.expired(now) else "suspended" if self.suspended else "active"


class CredentialModel:
    """Every credential issued in the ledger, by id, in the order issued."""

    topics = frozenset({Credential.Issued.TOPIC, Credential.Rotated.TOPIC,
                        Credential.Revoked.TOPIC, Credential.Suspended.TOPIC,
                        Credential.Resumed.TOPIC})

    def __init__(self) -> None:
        self._entries: dict[UUID, CredentialEntry] = {}

    def apply(self, topic: str, event: Any) -> None:
        """Apply one credential event."""
        uid = event.originator_id
        if topic == Credential.Issued.TOPIC:
            self._entries[uid] = CredentialEntry(
                uid, event.principal, CredentialKind(event.kind), event.verifier,
                event.expires_at, event.nkey)
        elif (entry := self._entries.get(uid)) is not None:
            if topic == Credential.Rotated.TOPIC:
                entry = dataclasses.replace(entry, verifier=event.verifier,
                                            expires_at=event.expires_at)
            elif topic == Credential.Suspended.TOPIC:
                entry = dataclasses.replace(entry, suspended_reason=event.reason)
            elif topic == Credential.Resumed.TOPIC:
                entry = dataclasses.replace(entry, suspended_reason=None)
            else:
                entry = dataclasses.replace(entry, revoked_reason=event.reason)
            self._entries[uid] = entry

    def get(self, credential_id: UUID) -> CredentialEntry | None:
        """The credential, or None if no such credential was issued."""
        return self._entries.get(credential_id)

    def all(self) -> list[CredentialEntry]:
        """Every credential, oldest first."""
        return list(self._entries.values())

    def department_nkeys(self, now: dt.datetime) -> dict[str, list[str]]:
        """Public nkeys of active department credentials, by department (NATS users)."""
        users: dict[str, list[str]] = {}
        for entry in self._entries.values():
            if (entry.kind is CredentialKind.DEPARTMENT and entry.nkey
                    and entry.status(now) == "active"):
                users.setdefault(entry.principal, []).append(entry.nkey)
        return users
