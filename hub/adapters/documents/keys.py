"""The one place that chooses the key a document is sealed under.

A document kept for a retention period (its service's ``[[documents]]`` ``retention``, else
its purpose's) is sealed under the key of its scope ``(subject, purpose, expiry bucket)``
exactly as an exchange's payloads are (:mod:`hub.domain.retention`): the retention enforcer
destroys that key once the bucket is over. A document kept without a period is sealed under
the subject's own key. ``interop-hub subject forget`` destroys both kinds, so every document
about the subject becomes unreadable with the rest of their personal data.
"""

from __future__ import annotations

from hub.adapters.crypto.keyring import SubjectKeyring
from hub.domain.retention import KeyScope


def sealing_key(keyring: SubjectKeyring, subject: str,
                scope: KeyScope | None) -> tuple[str, bytes]:
    """The key id and key to seal a new document about ``subject`` (of ``scope``, when it is
    kept for a retention period)."""
    return keyring.encryption_key(subject, scope)


def opening_key(keyring: SubjectKeyring, subject: str, kid: str,
                scope: KeyScope | None) -> bytes | None:
    """The key ``kid`` that sealed a document about ``subject``; None once destroyed."""
    return keyring.decryption_key(subject, kid, scope)
