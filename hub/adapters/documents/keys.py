"""The one place that chooses the key a document is sealed under.

Today that is the data subject's key from the region's keyring (one per subject), so
``interop-hub subject forget`` destroys it and every document about the subject becomes
unreadable with the rest of their personal data. When keys become finer (per subject,
purpose and expiry, for retention), only these two functions change.
"""

from __future__ import annotations

from hub.adapters.crypto.keyring import SubjectKeyring


def sealing_key(keyring: SubjectKeyring, subject: str, purpose: str) -> tuple[str, bytes]:
    """The key id and key to seal a new document about ``subject`` supplied for ``purpose``."""
    del purpose  # one key per subject today; retention will key by purpose too
    return keyring.encryption_key(subject)


def opening_key(keyring: SubjectKeyring, subject: str, kid: str) -> bytes | None:
    """The key ``kid`` that sealed a document about ``subject``; None once destroyed."""
    return keyring.decryption_key(subject, kid)
