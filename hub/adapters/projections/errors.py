"""Errors of the read side (projections), rooted in :class:`contracts.errors.HubError`.

    ProjectionError               root of this package's errors
    ├── ReadStoreError            the read-model database failed (wraps sqlite3 / psycopg errors)
    ├── LedgerReadError           the ledger's notification log could not be read or decoded
    ├── UnknownProjectionError    a projection name that does not exist
    ├── ViewNotFoundError         no as-of view was built for the requested moment
    └── InvalidQueryError         a read-model query is malformed (unknown outcome, bad range)
"""

from __future__ import annotations

from contracts.errors import HubError


class ProjectionError(HubError):
    """Root of the read side's errors."""

    code = "projection-error"
    status = 500


class ReadStoreError(ProjectionError):
    """Raised when the read-model database cannot be opened, read or written."""

    code = "read-store"


class LedgerReadError(ProjectionError):
    """Raised when the ledger's notification log cannot be read or an event decoded."""

    code = "ledger-read"


class UnknownProjectionError(ProjectionError):
    """Raised when a command names a projection that does not exist."""

    code = "unknown-projection"
    status = 404

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"unknown projection {name!r}; known: {', '.join(known)}")
        self.name = name


class ViewNotFoundError(ProjectionError):
    """Raised when an as-of view is asked for before ``interop-hub replay --until`` built it."""

    code = "view-not-found"
    status = 404


class InvalidQueryError(ProjectionError):
    """Raised when a read-model query is malformed (unknown outcome, bad time range)."""

    code = "invalid-query"
    status = 400
