"""Errors of backup and restore, rooted in :class:`contracts.errors.HubError`.

HubError
└── BackupError                 a backup cannot be taken, checked or restored
    ├── BackupKeyError          the backup key is missing, too short, the KEK itself, or wrong
    ├── BackupIntegrityError    a backup is truncated, altered, or a file in it swapped
    ├── RestoreTargetError      the folder or database to restore into is not empty
    └── BackupToolError         pg_dump/pg_restore, or NATS, failed (the tool's words attached)
"""

from __future__ import annotations

from contracts.errors import HubError


class BackupError(HubError):
    """Raised when a backup cannot be taken, checked or restored."""

    code = "backup-error"
    status = 400


class BackupKeyError(BackupError):
    """Raised when the backup key is missing, too short, equal to the KEK, or not this
    backup's key."""

    code = "backup-key"


class BackupIntegrityError(BackupError):
    """Raised when a backup's files are truncated, altered, swapped or missing."""

    code = "backup-integrity"
    status = 422


class RestoreTargetError(BackupError):
    """Raised when the folder or database to restore into already holds something."""

    code = "restore-target"
    status = 409


class BackupToolError(BackupError):
    """Raised when pg_dump, pg_restore or NATS fails; the message carries the tool's words."""

    code = "backup-tool"
    status = 500
