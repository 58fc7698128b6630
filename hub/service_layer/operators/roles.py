"""Roles and what each may do. Deny by default: a permission not listed is refused.

- **viewer**: sees exchanges, timelines, metrics, dead letters, audit status, federation
  and reconciliation state.
- **operator**: a viewer who also acts on the running hub — requeues dead letters,
  signs a checkpoint now, runs a verify or a reconciliation.
- **auditor**: a viewer who also runs verifies and reconciliations and reads what only an
  auditor should: citizens' data-use reports, the log of operators' own actions, and the
  bytes of supplied documents.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """An operator's role."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    AUDITOR = "auditor"


class Permission(StrEnum):
    """Something an operator may be allowed to do."""

    VIEW = "view"
    REQUEUE = "requeue dead letters"
    CHECKPOINT = "sign a checkpoint"
    VERIFY = "run an audit verify"
    RECONCILE = "run a reconciliation"
    SUBJECT_REPORTS = "read data-use reports"
    ACTION_LOG = "read the operators' action log"
    DOCUMENT_BYTES = "read the bytes of supplied documents"


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.VIEW}),
    Role.OPERATOR: frozenset({
        Permission.VIEW, Permission.REQUEUE, Permission.CHECKPOINT, Permission.VERIFY,
        Permission.RECONCILE,
    }),
    Role.AUDITOR: frozenset({
        Permission.VIEW, Permission.VERIFY, Permission.RECONCILE, Permission.SUBJECT_REPORTS,
        Permission.ACTION_LOG, Permission.DOCUMENT_BYTES,
    }),
}


def allows(role: str, permission: Permission) -> bool:
    """True when ``role`` (a :class:`Role` value) grants ``permission``."""
    try:
        return permission in GRANTS[Role(role)]
    except ValueError:
        return False
