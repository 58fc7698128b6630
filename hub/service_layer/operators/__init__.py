"""Operators: accounts with password + TOTP, roles, sessions, and a record of every action.

- :mod:`.roles` — what viewers, operators and auditors may do;
- :mod:`.secrets` — keys derived from the region's KEK: TOTP secrets sealed, cookies signed;
- :mod:`.directory` — enrol, log in, check a session, record an action (all as events
  in the ledger's store, so the audit log covers them).
"""

from hub.service_layer.operators.directory import (
    ActiveSession,
    Enrolment,
    OperatorDirectory,
    OperatorView,
)
from hub.service_layer.operators.errors import (
    LoginRefusedError,
    NotPermittedError,
    OperatorError,
    OperatorExistsError,
    SessionInvalidError,
    UnknownOperatorError,
)
from hub.service_layer.operators.roles import Permission, Role

__all__ = [
    "ActiveSession",
    "Enrolment",
    "LoginRefusedError",
    "NotPermittedError",
    "OperatorDirectory",
    "OperatorError",
    "OperatorExistsError",
    "OperatorView",
    "Permission",
    "Role",
    "SessionInvalidError",
    "UnknownOperatorError",
]
