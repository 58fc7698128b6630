"""Errors of durable ingest; each has its own stable code.

    IngestError                 base
    ├── IngestConfigError       an ``[[ingest]]`` table is incomplete or inconsistent
    ├── UnknownIngestSource     a submission for a department/contract the hub takes none of
    ├── NotAnIngestSubject      a message on the ingest stream whose subject names no source
    ├── UnknownFormatError      a submission's ``Hub-Format`` header is not soap or json
    ├── IngestStoreError        the batch could not be recorded (nothing was; it is redelivered)
    └── IngestClientError       a department's submission could not be published
"""

from __future__ import annotations

from contracts.errors import FieldIssue, HubError


class IngestError(HubError):
    """Base of ingest errors."""

    code = "ingest-error"
    status = 400


class IngestConfigError(IngestError):
    """Raised when an ``[[ingest]]`` table is incomplete or its mapping does not fit."""

    code = "ingest-config"
    status = 500


class UnknownIngestSource(IngestError):
    """A department submitted a contract the hub has no ingest source for."""

    code = "unknown-ingest-source"

    def __init__(self, department: str, contract: str, known: list[str]) -> None:
        super().__init__(
            f"{department} may not submit {contract!r} records here; known sources: "
            f"{', '.join(known) or 'none'}",
            issues=(FieldIssue(path="$", reason=f"no ingest source {department}/{contract}",
                               code=self.code, field="contract"),))


class NotAnIngestSubject(IngestError):
    """A message whose subject is not ``hub.<region>.ingest.<department>.<contract>``."""

    code = "not-an-ingest-subject"

    def __init__(self, subject: str) -> None:
        super().__init__(f"{subject!r} is not hub.<region>.ingest.<department>.<contract>",
                         issues=(FieldIssue(path="$", reason="bad subject", code=self.code),))


class UnknownFormatError(IngestError):
    """A submission whose format is neither ``soap`` nor ``json``."""

    code = "unknown-format"

    def __init__(self, fmt: str) -> None:
        super().__init__(f"format {fmt!r} is neither 'soap' nor 'json'",
                         issues=(FieldIssue(path="$", reason="unknown format", code=self.code,
                                            field="format"),))


class IngestStoreError(IngestError):
    """Raised when a batch cannot be recorded; nothing of it was, and it will be redelivered."""

    code = "ingest-store"
    status = 503
    retryable = True


class IngestClientError(IngestError):
    """Raised to a department when its submission could not be published (or was refused)."""

    code = "ingest-client"
