"""Errors of the audit log, rooted in :class:`contracts.errors.HubError`.

    AuditError                    root of this package's errors
    ├── AuditKeyError             the signing key file is missing, unreadable or too open
    ├── NoteError                 a signed note / checkpoint is malformed or its signature fails
    ├── ProofError                a proof cannot be built (unknown event, no such checkpoint)
    └── AuditStoreError           reading the event store failed (wraps sqlite3 / psycopg errors)

Tampering is not an exception: :func:`hub.service_layer.audit.verify.verify_log` returns a
report naming the first bad event, because finding it is the command's purpose.
"""

from __future__ import annotations

from contracts.errors import HubError


class AuditError(HubError):
    """Root of the audit log's errors."""

    code = "audit-error"
    status = 500


class AuditKeyError(AuditError):
    """Raised when the region's audit signing key cannot be used safely."""

    code = "audit-key"


class NoteError(AuditError):
    """Raised when a signed note or checkpoint is malformed or does not verify."""

    code = "audit-note"


class ProofError(AuditError):
    """Raised when a requested proof cannot be built (unknown event or checkpoint size)."""

    code = "audit-proof"


class AuditStoreError(AuditError):
    """Raised when the event store cannot be read (the database error is chained)."""

    code = "audit-store"
