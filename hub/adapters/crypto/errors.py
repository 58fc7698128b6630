"""Errors of personal-data protection, rooted in :class:`contracts.errors.HubError`.

HubError
└── PrivacyError                  any failure to protect or reveal personal data
    ├── SubjectError              a subject could not be identified (bad argument,
    │                             or a contract's SUBJECT_FIELD names no value)
    ├── KeyStoreError             the subject key store is unusable (wraps sqlite3/psycopg)
    ├── KeyEncryptionKeyError     the key-encryption key is missing, malformed or wrong
    ├── TamperedFieldError        a sealed personal field fails authentication
    └── PersonalDataErasedError   a step needs personal data whose key was destroyed
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.errors import HubError


class PrivacyError(HubError):
    """Raised when personal data cannot be protected or revealed as it should."""

    code = "privacy-error"
    status = 500


class SubjectError(PrivacyError):
    """Raised when a data subject cannot be identified from what was given."""

    code = "bad-subject"
    status = 400


class KeyStoreError(PrivacyError):
    """Raised when the subject key store cannot be opened, read or written."""

    code = "key-store"


class KeyEncryptionKeyError(PrivacyError):
    """Raised when the key-encryption key is missing, malformed, or does not fit the store."""

    code = "kek"


class TamperedFieldError(PrivacyError):
    """Raised when a sealed personal field does not authenticate.

    The ciphertext, its envelope or its place (event, version, field) changed
    after it was written: it was altered, or moved from another event.
    """

    code = "tampered-personal-field"

    def __init__(self, where: str, field: str) -> None:
        super().__init__(
            f"personal field {field!r} of {where} fails authentication: it was altered "
            "or copied from another event; the stored event is not what the hub wrote"
        )
        self.where = where
        self.field = field


class PersonalDataErasedError(PrivacyError):
    """Raised when a step needs personal data that was erased: its subject was forgotten, or
    its retention period is over (a dead-lettered exchange requeued after its bucket expired).
    """

    code = "personal-data-erased"
    status = 410

    def __init__(self, what: str, marker: Mapping[str, Any]) -> None:
        why = (f"its retention period for purpose {marker['purpose']!r} ended "
               f"(expiry bucket {marker['bucket']})" if "bucket" in marker
               else "its data subject was forgotten")
        super().__init__(f"{what} can no longer be read: {why}; it cannot be delivered")
        self.what = what
