"""The legacy logins read model: UsernameTokens and certificate identities, by what a request shows.

A request shows a username or a client certificate; the model answers which
department it belongs to and, for a username, the sealed password (opened only
when a digest is checked, never kept open). No personal data: usernames and
certificate names of departments' systems.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.domain.legacy_login import LegacyLogin


@dataclass(frozen=True, slots=True)
class UsernameEntry:
    """A department's current UsernameToken (the password sealed)."""

    department: str
    username: str
    sealed_password: str


class LegacyLoginModel:
    """Departments by UsernameToken username and by certificate identity."""

    topics = frozenset({LegacyLogin.Opened.TOPIC, LegacyLogin.UsernameTokenSet.TOPIC,
                        LegacyLogin.CertificateBound.TOPIC})

    def __init__(self) -> None:
        self._departments: dict[Any, str] = {}
        self._by_username: dict[str, UsernameEntry] = {}
        self._by_certificate: dict[str, str] = {}

    def apply(self, topic: str, event: Any) -> None:
        """Apply one legacy login event."""
        if topic == LegacyLogin.Opened.TOPIC:
            self._departments[event.originator_id] = event.department
            return
        department = self._departments.get(event.originator_id)
        if department is None:
            return
        if topic == LegacyLogin.UsernameTokenSet.TOPIC:
            for name in [n for n, e in self._by_username.items() if e.department == department]:
                del self._by_username[name]  # a rotation may rename: the old name stops
            self._by_username[event.username] = UsernameEntry(
                department, event.username, event.sealed_password)
        else:
            self._by_certificate[event.identity] = department

    def username(self, username: str) -> UsernameEntry | None:
        """The UsernameToken named ``username``, or None."""
        return self._by_username.get(username)

    def certificate(self, identities: list[str]) -> str | None:
        """The department the first bound identity among ``identities`` names, or None."""
        return next((self._by_certificate[i] for i in identities if i in self._by_certificate),
                    None)
