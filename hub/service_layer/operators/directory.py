"""The operator directory: enrol accounts, log in with password + TOTP, check sessions, record acts.

Everything is an event in the ledger's store (hub.domain.operator), so the audit
log covers the console as it covers exchanges. Passwords are Argon2id hashes
(argon2-cffi, its default RFC 9106 "low memory" parameters); TOTP is RFC 6238
(pyotp: SHA-1, 6 digits, 30 s, one step of clock drift either way), and a code
is accepted once per account: a second login with the same time step is refused,
by the store itself (hub.domain.operator.TotpCodeUse), so a restart or another
worker does not reopen a spent code.

Guessing is slowed (hub.service_layer.operators.lockout): after ``MAX_FAILURES`` refusals of
one name within ``LOCKOUT`` further attempts are refused (and recorded) without
looking at the password, until the refusals are older than ``LOCKOUT`` or a login
succeeds. The count is kept in the store (LoginFailures, one aggregate per
name and window), so every hub worker sharing it, and a restarted one, sees it.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

import argon2
import pyotp
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from hub.domain.operator import (
    LoginRefusal,
    Operator,
    OperatorAction,
    OperatorSession,
    TotpCodeUse,
    operator_id,
)
from hub.domain.originator import originator_uuid
from hub.service_layer.operators.errors import (
    LoginRefusedError,
    NotPermittedError,
    OperatorError,
    OperatorExistsError,
    SessionInvalidError,
    UnknownOperatorError,
)
from hub.service_layer.operators.lockout import Lockout
from hub.service_layer.operators.roles import Permission, Role, allows
from hub.service_layer.operators.secrets import OperatorSecrets

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9._-]{1,62}$")
MIN_PASSWORD = 12
SESSION_TTL = dt.timedelta(hours=8)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Enrolment:
    """A new account's TOTP secret, shown once (to add to an authenticator app)."""

    name: str
    role: str
    totp_secret: str
    provisioning_uri: str


@dataclass(frozen=True)
class OperatorView:
    """An account as listed: no secrets."""

    name: str
    role: str
    enabled: bool


@dataclass(frozen=True)
class ActiveSession:
    """A valid session: who, in which role (the account's current one), until when."""

    id: UUID
    operator: str
    role: str
    expires_at: dt.datetime

    def allows(self, permission: Permission) -> bool:
        """True when this session's role grants ``permission``."""
        return allows(self.role, permission)

    def require(self, permission: Permission) -> None:
        """NotPermittedError unless the role grants ``permission``."""
        if not self.allows(permission):
            raise NotPermittedError(self.operator, self.role, permission.value)


@dataclass(frozen=True)
class ActionEntry:
    """One recorded operator action, for the action log."""

    at: dt.datetime
    operator: str
    role: str
    action: str
    target: str
    outcome: str
    detail: str


class OperatorDirectory:
    """Operator accounts, sessions and actions, recorded in ``app``'s event store."""

    def __init__(
        self,
        app: Application[UUID],
        secrets: OperatorSecrets,
        *,
        issuer: str,
        session_ttl: dt.timedelta = SESSION_TTL,
        clock: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        self._app = app
        self._secrets = secrets
        self._issuer = issuer
        self._ttl = session_ttl
        self._clock = clock
        self._hasher = argon2.PasswordHasher()
        self._last_step: dict[str, int] = {}
        self._lockout = Lockout(app)

    @property
    def secrets(self) -> OperatorSecrets:
        """The keys that seal TOTP secrets and sign this directory's session cookies."""
        return self._secrets

    # -- accounts ------------------------------------------------------------------------------

    def enrol(self, name: str, role: str, password: str, *, by: str) -> Enrolment:
        """Create an account; the TOTP secret in the result is never shown again."""
        _check_name(name)
        _check_role(role)
        _check_password(password)
        secret = pyotp.random_base32()
        account = Operator(name, role, self._hasher.hash(password),
                           self._secrets.seal_totp(secret, name), by)
        try:
            self._app.save(account)
        except IntegrityError:
            raise OperatorExistsError(name) from None
        uri = pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=self._issuer)
        return Enrolment(name, role, secret, uri)

    def accounts(self) -> list[OperatorView]:
        """Every enrolled account, in enrolment order."""
        views = []
        for notification in _notifications(self._app, Operator.Enrolled.TOPIC):
            account = self._get(originator_uuid(notification.originator_id))
            views.append(OperatorView(account.name, account.role, account.enabled))
        return views

    def set_role(self, name: str, role: str, *, by: str) -> None:
        """Change an account's role; it applies to its open sessions at their next request."""
        _check_role(role)
        account = self._account(name)
        account.change_role(role, by)
        self._app.save(account)

    def disable(self, name: str, *, by: str, reason: str) -> None:
        """Stop an account from logging in; its open sessions stop at their next request."""
        account = self._account(name)
        if account.enabled:
            account.disable(by, reason)
            self._app.save(account)

    def enable(self, name: str, *, by: str) -> None:
        """Let a disabled account log in again."""
        account = self._account(name)
        if not account.enabled:
            account.enable(by)
            self._app.save(account)

    def reset_totp(self, name: str, *, by: str) -> Enrolment:
        """A new TOTP secret for a lost authenticator (shown once)."""
        account = self._account(name)
        secret = pyotp.random_base32()
        account.reset_totp(self._secrets.seal_totp(secret, name), by)
        self._app.save(account)
        uri = pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=self._issuer)
        return Enrolment(name, account.role, secret, uri)

    def change_password(self, name: str, password: str, *, by: str) -> None:
        """Replace an account's password."""
        _check_password(password)
        account = self._account(name)
        account.change_password(self._hasher.hash(password), by)
        self._app.save(account)

    # -- sessions ------------------------------------------------------------------------------

    def login(self, name: str, password: str, code: str, *, client: str) -> ActiveSession:
        """Open a session, or record the refusal and raise LoginRefusedError."""
        now = self._clock()
        reason, step = self._refusal(name, password, code, now)
        if reason is None:
            account = self._get(operator_id(name))
            expires = now + self._ttl
            session = OperatorSession(account.name, account.role, expires.isoformat(), client)
            try:  # the code's step is spent in the same transaction as the session opens
                self._app.save(session, TotpCodeUse(account.name, step))
            except IntegrityError:
                reason = "code-reused"  # spent before: by another worker, or before a restart
        if reason is not None:
            self._lockout.count(name[:64], now, LoginRefusal(name[:64], reason, client))
            raise LoginRefusedError(reason)
        self._last_step[account.name] = step
        self._lockout.clear(account.name, now)
        return ActiveSession(session.id, account.name, account.role, expires)

    def session(self, session_id: UUID) -> ActiveSession:
        """The session, if still valid; its role is the account's current role."""
        try:
            session: object = self._app.repository.get(session_id)
        except AggregateNotFoundError:
            raise SessionInvalidError("no such session") from None
        if not isinstance(session, OperatorSession) or session.closed is not None:
            raise SessionInvalidError("the session has ended; log in again")
        expires = dt.datetime.fromisoformat(session.expires_at)
        if self._clock() >= expires:
            raise SessionInvalidError("the session has expired; log in again")
        account = self._get(operator_id(session.operator))
        if not account.enabled:
            raise SessionInvalidError(f"operator {account.name!r} is disabled")
        return ActiveSession(session_id, account.name, account.role, expires)

    def logout(self, session_id: UUID) -> None:
        """Close the session (a closed session never opens again)."""
        try:
            session: object = self._app.repository.get(session_id)
        except AggregateNotFoundError:
            return
        if isinstance(session, OperatorSession) and session.closed is None:
            session.close("logout")
            self._app.save(session)

    # -- actions -------------------------------------------------------------------------------

    def record(
        self, session: ActiveSession, action: str, target: str, outcome: str, detail: str = ""
    ) -> UUID:
        """Record one operator action with its outcome; returns the action's id."""
        performed = OperatorAction(session.operator, session.role, str(session.id), action,
                                   target, outcome, detail[:2000])
        self._app.save(performed)
        return performed.id

    def actions(self, limit: int = 200) -> list[ActionEntry]:
        """The latest ``limit`` operator actions, newest first."""
        entries: deque[ActionEntry] = deque(maxlen=limit)
        for notification in _notifications(self._app, OperatorAction.Performed.TOPIC):
            action: OperatorAction = self._app.repository.get(
                originator_uuid(notification.originator_id)
            )
            entries.append(ActionEntry(action.created_on, action.operator, action.role,
                                       action.action, action.target, action.outcome,
                                       action.detail))
        return list(reversed(entries))

    # -- plumbing ------------------------------------------------------------------------------

    def _refusal(self, name: str, password: str, code: str, now: dt.datetime
                 ) -> tuple[str | None, int]:
        """The reason to refuse this login (None to accept it) and the code's time step."""
        if self._lockout.locked(name[:64], now):
            return "locked-out", -1
        try:
            account = self._get(operator_id(name))
        except UnknownOperatorError:
            self._hasher.hash(password)  # the same cost as a real check: names are not probed
            return "unknown-operator", -1
        if not account.enabled:
            return "operator-disabled", -1
        try:
            self._hasher.verify(account.password_hash, password)
        except argon2.exceptions.VerificationError:
            return "wrong-password", -1
        return self._code_refusal(account, code, now)

    def _code_refusal(self, account: Operator, code: str, now: dt.datetime
                      ) -> tuple[str | None, int]:
        try:
            totp = pyotp.TOTP(self._secrets.open_totp(account.totp_sealed, account.name))
        except OperatorError:
            return "totp-unreadable", -1
        code = code.strip().replace(" ", "")
        for drift in (0, -1, 1):
            moment = now + dt.timedelta(seconds=30 * drift)
            if totp.verify(code, for_time=moment, valid_window=0):
                step = totp.timecode(moment)
                if step <= self._last_step.get(account.name, -1):
                    return "code-reused", step  # never an older code than this worker took
                return None, step
        return "wrong-code", -1

    def _account(self, name: str) -> Operator:
        return self._get(operator_id(name), name)

    def _get(self, account_id: UUID, name: str | None = None) -> Operator:
        try:
            account: object = self._app.repository.get(account_id)
        except AggregateNotFoundError:
            raise UnknownOperatorError(name or str(account_id)) from None
        if not isinstance(account, Operator):
            raise UnknownOperatorError(name or str(account_id))
        return account


def _notifications(app: Application[UUID], topic: str):  # type: ignore[no-untyped-def]
    start = 1
    while page := list(app.recorder.select_notifications(start, 500, topics=(topic,))):
        yield from page
        start = page[-1].id + 1


def _check_name(name: str) -> None:
    if not NAME_PATTERN.match(name):
        raise OperatorError(
            f"operator name {name!r}: use 2–63 lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter"
        )


def _check_role(role: str) -> None:
    if role not in {r.value for r in Role}:
        raise OperatorError(f"unknown role {role!r}; roles: {', '.join(r.value for r in Role)}")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise OperatorError(f"a password has at least {MIN_PASSWORD} characters")


def wait_for_next_code(now: float | None = None) -> float:
    """Seconds until the next TOTP time step begins (for tests and the demo)."""
    now = time.time() if now is None else now
    return 30 - (now % 30)
