"""Errors of operator accounts, logins and permissions (the ``OperatorError`` branch)."""

from __future__ import annotations

from contracts.errors import HubError


class OperatorError(HubError):
    """Raised when an operator account cannot be read or changed as asked."""

    code = "operator-error"
    status = 400


class OperatorExistsError(OperatorError):
    """Raised when enrolling a name that already has an account."""

    code = "operator-exists"
    status = 409

    def __init__(self, name: str) -> None:
        super().__init__(f"operator {name!r} is already enrolled")


class UnknownOperatorError(OperatorError):
    """Raised when a command names an operator who was never enrolled."""

    code = "unknown-operator"
    status = 404

    def __init__(self, name: str) -> None:
        super().__init__(f"no operator named {name!r}")


class LoginRefusedError(OperatorError):
    """Raised when a login is refused; ``reason`` is the recorded code.

    The message shown to the person never says which of name, password or code
    was wrong (that would help a guesser); the recorded event does, for auditors.
    """

    code = "login-refused"
    status = 401

    def __init__(self, reason: str, message: str = "name, password or code not accepted") -> None:
        super().__init__(message)
        self.reason = reason


class SessionInvalidError(OperatorError):
    """Raised when a request's session is missing, forged, closed or expired."""

    code = "session-invalid"
    status = 401


class NotPermittedError(OperatorError):
    """Raised when an operator's role does not allow an action."""

    code = "not-permitted"
    status = 403

    def __init__(self, operator: str, role: str, permission: str) -> None:
        super().__init__(f"operator {operator!r} ({role}) may not {permission}")
        self.permission = permission
