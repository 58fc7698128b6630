"""Operators of the hub and what they do: accounts, login sessions, actions.

Three aggregates, each short-lived in events so that a request can load them
cheaply:

- ``Operator``: an account (Enrolled, PasswordChanged, TotpReset, RoleChanged,
  Disabled, Enabled). Its id derives from the name, so a name is enrolled once.
  The password is held as an Argon2id hash and the TOTP secret sealed under the
  region's key-encryption key (hub.service_layer.operators.secrets); neither is ever in the
  clear in an event.
- ``OperatorSession``: one login — Opened (the session a cookie names), then
  Closed; ``LoginRefusal``: one refused login, with the reason.
- ``TotpCodeUse``: a TOTP time step spent by one account. Its id derives from
  (account, step) and it is saved with the session in one transaction, so the
  store refuses a second login with the same code — after a restart and across
  hub workers sharing the store too.
- ``LoginFailures``: the refused logins of one name in one lockout window
  (Counted, then Failed or Cleared), so a lockout holds across restarts and
  hub workers; its id derives from (name, window).
- ``OperatorAction``: one operator action (Performed: who, in which role, what,
  on what, and how it ended), e.g. a dead letter requeued or a verify run.
"""

from __future__ import annotations

import uuid
from uuid import UUID

from eventsourcing.domain import Aggregate, event

OPERATORS_NAMESPACE = uuid.UUID("5b0c2b7e-2f44-4c35-9a59-0d8f3c8f7a10")


def operator_id(name: str) -> UUID:
    """The id of the account named ``name`` (one account per name)."""
    return uuid.uuid5(OPERATORS_NAMESPACE, name)


class Operator(Aggregate):
    """An operator's account: name, role, credentials, whether it may log in."""

    TOPIC = "interop-hub:operator"

    class Event(Aggregate.Event):
        """Base of every operator account event."""

        TOPIC = "interop-hub:operator.event"

    class Created(Event, Aggregate.Created):
        """Base of the creation event."""

        TOPIC = "interop-hub:operator.created"

    class Enrolled(Created):
        """An account was created by ``by`` (a person at the command line, or the demo)."""

        TOPIC = "interop-hub:operator.enrolled"
        class_version = 1
        name: str
        role: str
        password_hash: str
        totp_sealed: str
        by: str

    @staticmethod
    def create_id(name: str) -> UUID:
        return operator_id(name)

    @event(Enrolled)
    def __init__(self, name: str, role: str, password_hash: str, totp_sealed: str, by: str):
        self.name = name
        self.role = role
        self.password_hash = password_hash
        self.totp_sealed = totp_sealed
        self.enabled = True

    class PasswordChanged(Event):
        """A new password hash replaced the old one."""

        TOPIC = "interop-hub:operator.password-changed"
        class_version = 1
        password_hash: str
        by: str

    @event(PasswordChanged)
    def change_password(self, password_hash: str, by: str) -> None:
        self.password_hash = password_hash

    class TotpReset(Event):
        """A new TOTP secret replaced the old one (a lost authenticator)."""

        TOPIC = "interop-hub:operator.totp-reset"
        class_version = 1
        totp_sealed: str
        by: str

    @event(TotpReset)
    def reset_totp(self, totp_sealed: str, by: str) -> None:
        self.totp_sealed = totp_sealed

    class RoleChanged(Event):
        """The account's role changed."""

        TOPIC = "interop-hub:operator.role-changed"
        class_version = 1
        role: str
        by: str

    @event(RoleChanged)
    def change_role(self, role: str, by: str) -> None:
        self.role = role

    class Disabled(Event):
        """The account may no longer log in; its open sessions stop working."""

        TOPIC = "interop-hub:operator.disabled"
        class_version = 1
        by: str
        reason: str

    @event(Disabled)
    def disable(self, by: str, reason: str) -> None:
        self.enabled = False

    class Enabled(Event):
        """A disabled account may log in again."""

        TOPIC = "interop-hub:operator.enabled"
        class_version = 1
        by: str

    @event(Enabled)
    def enable(self, by: str) -> None:
        self.enabled = True


class OperatorSession(Aggregate):
    """One login: the session a cookie names, from Opened until Closed."""

    TOPIC = "interop-hub:operator-session"

    class Event(Aggregate.Event):
        """Base of every session event."""

        TOPIC = "interop-hub:operator-session.event"

    class Created(Event, Aggregate.Created):
        """Base of the creation events."""

        TOPIC = "interop-hub:operator-session.created"

    class Opened(Created):
        """Password and TOTP code were right: a session until ``expires_at`` (RFC 3339)."""

        TOPIC = "interop-hub:operator-session.opened"
        class_version = 1
        operator: str
        role: str
        expires_at: str
        client: str

    @event(Opened)
    def __init__(self, operator: str, role: str, expires_at: str, client: str) -> None:
        self.operator = operator
        self.role = role
        self.expires_at = expires_at
        self.closed: str | None = None

    class Closed(Event):
        """The session ended: ``logout``, ``expired`` or ``disabled``."""

        TOPIC = "interop-hub:operator-session.closed"
        class_version = 1
        reason: str

    @event(Closed)
    def close(self, reason: str) -> None:
        self.closed = reason


def code_use_id(name: str, step: int) -> UUID:
    """The id of ``name``'s use of TOTP time step ``step`` (one use per account and step)."""
    return uuid.uuid5(OPERATORS_NAMESPACE, f"totp:{name}:{step}")


class TotpCodeUse(Aggregate):
    """One account's TOTP time step, spent by a login (one event; a second cannot be stored)."""

    TOPIC = "interop-hub:totp-code-use"

    class Event(Aggregate.Event):
        """Base of the code use's event."""

        TOPIC = "interop-hub:totp-code-use.event"

    class Created(Event, Aggregate.Created):
        """Base of the creation event."""

        TOPIC = "interop-hub:totp-code-use.created"

    class Spent(Created):
        """``operator``'s code of time step ``step`` (RFC 6238 T) opened a session."""

        TOPIC = "interop-hub:totp-code-use.spent"
        class_version = 1
        operator: str
        step: int

    @staticmethod
    def create_id(operator: str, step: int) -> UUID:
        return code_use_id(operator, step)

    @event(Spent)
    def __init__(self, operator: str, step: int) -> None:
        self.operator = operator
        self.step = step


def failures_id(name: str, window: int) -> UUID:
    """The id of ``name``'s failure count in lockout window ``window``."""
    return uuid.uuid5(OPERATORS_NAMESPACE, f"failures:{name}:{window}")


class LoginFailures(Aggregate):
    """Refused logins of one name within one lockout window, and when a login cleared them."""

    TOPIC = "interop-hub:login-failures"

    class Event(Aggregate.Event):
        """Base of every failure-count event."""

        TOPIC = "interop-hub:login-failures.event"

    class Created(Event, Aggregate.Created):
        """Base of the creation event."""

        TOPIC = "interop-hub:login-failures.created"

    class Counted(Created):
        """The window's first refusal of ``name`` (``at``: RFC 3339)."""

        TOPIC = "interop-hub:login-failures.counted"
        class_version = 1
        name: str
        window: int
        at: str

    @staticmethod
    def create_id(name: str, window: int, at: str) -> UUID:
        return failures_id(name, window)

    @event(Counted)
    def __init__(self, name: str, window: int, at: str) -> None:
        self.name = name
        self.window = window
        self.failed_at: list[str] = [at]
        self.cleared_at = ""

    class Failed(Event):
        """Another refusal in the window."""

        TOPIC = "interop-hub:login-failures.failed"
        class_version = 1
        at: str

    @event(Failed)
    def fail(self, at: str) -> None:
        self.failed_at.append(at)

    class Cleared(Event):
        """A successful login: earlier refusals no longer count."""

        TOPIC = "interop-hub:login-failures.cleared"
        class_version = 1
        at: str

    @event(Cleared)
    def clear(self, at: str) -> None:
        self.cleared_at = at


class LoginRefusal(Aggregate):
    """A login that was refused, with the reason (one event: nothing follows a refusal)."""

    TOPIC = "interop-hub:login-refusal"

    class Event(Aggregate.Event):
        """Base of the refusal's event."""

        TOPIC = "interop-hub:login-refusal.event"

    class Created(Event, Aggregate.Created):
        """Base of the creation event."""

        TOPIC = "interop-hub:login-refusal.created"

    class Refused(Created):
        """``operator`` is the name as typed; ``reason`` a stable code, never the input."""

        TOPIC = "interop-hub:login-refusal.refused"
        class_version = 1
        operator: str
        reason: str
        client: str

    @event(Refused)
    def __init__(self, operator: str, reason: str, client: str) -> None:
        self.operator = operator
        self.reason = reason
        self.client = client


class OperatorAction(Aggregate):
    """One thing an operator did, with its outcome: the console's own audit trail."""

    TOPIC = "interop-hub:operator-action"

    class Event(Aggregate.Event):
        """Base of every action event."""

        TOPIC = "interop-hub:operator-action.event"

    class Created(Event, Aggregate.Created):
        """Base of the creation event."""

        TOPIC = "interop-hub:operator-action.created"

    class Performed(Created):
        """``operator`` (in ``role``, session ``session``) did ``action`` on ``target``."""

        TOPIC = "interop-hub:operator-action.performed"
        class_version = 1
        operator: str
        role: str
        session: str
        action: str
        target: str
        outcome: str
        detail: str

    @event(Performed)
    def __init__(
        self, operator: str, role: str, session: str, action: str, target: str,
        outcome: str, detail: str,
    ) -> None:
        self.operator = operator
        self.role = role
        self.session = session
        self.action = action
        self.target = target
        self.outcome = outcome
        self.detail = detail
