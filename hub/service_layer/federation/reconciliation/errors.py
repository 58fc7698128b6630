"""Errors of reconciliation, on the federation branch of the error tree.

    HubError
    └── FederationError                 (federation.errors)
        └── ReconciliationError         a region's history cannot be read or compared
            └── HistoryFormatError      a history document (JSON) is not of our format;
                                        ``path`` names the first bad member
"""

from __future__ import annotations

from contracts.errors import FieldIssue
from federation.errors import FederationError


class ReconciliationError(FederationError):
    """Raised when a region's history cannot be loaded (no store, unreadable files)."""

    code = "reconciliation-error"


class HistoryFormatError(ReconciliationError):
    """Raised when a history document is malformed; ``path`` is a JSON Pointer to the problem."""

    code = "bad-history"

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"history document: {path or '/'}: {reason}",
                         issues=(FieldIssue(path=path or "/", reason=reason, code=self.code),))
        self.path = path
