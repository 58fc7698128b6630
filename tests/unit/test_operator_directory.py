"""Operator accounts: enrolment, login with password + TOTP, sessions, lockout, actions."""

from __future__ import annotations

import datetime as dt
import os
from uuid import UUID, uuid4

import pyotp
import pytest
from eventsourcing.application import Application

from hub.domain.operator import LoginRefusal, Operator, operator_id
from hub.service_layer.operators import (
    LoginRefusedError,
    NotPermittedError,
    OperatorDirectory,
    OperatorError,
    OperatorExistsError,
    Permission,
    SessionInvalidError,
)
from hub.service_layer.operators.lockout import MAX_FAILURES
from hub.service_layer.operators.secrets import OperatorSecrets

PASSWORD = "correct horse battery"


class Clock:
    """A settable clock (the directory's only notion of time)."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 2, 10, 0, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app() -> Application[UUID]:
    return Application()


@pytest.fixture
def directory(app: Application[UUID], clock: Clock) -> OperatorDirectory:
    return OperatorDirectory(app, OperatorSecrets(os.urandom(32)), issuer="hub north",
                             clock=clock)


def _code(secret: str, clock: Clock, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock.now + dt.timedelta(seconds=30 * steps))


def _refusals(app: Application[UUID]) -> list[str]:
    notes = app.recorder.select_notifications(1, 100, topics=(LoginRefusal.Refused.TOPIC,))
    return [app.repository.get(n.originator_id).reason for n in notes]


def test_login_with_password_and_code_opens_a_session(
    directory: OperatorDirectory, clock: Clock
) -> None:
    """The right password and the current code open a session of the account's role."""
    enrolment = directory.enrol("ada", "operator", PASSWORD, by="test")
    assert enrolment.provisioning_uri.startswith("otpauth://totp/")
    session = directory.login("ada", PASSWORD, _code(enrolment.totp_secret, clock), client="t")
    assert (session.operator, session.role) == ("ada", "operator")
    assert directory.session(session.id).operator == "ada"
    assert session.allows(Permission.REQUEUE) and not session.allows(Permission.ACTION_LOG)


@pytest.mark.parametrize(
    ("name", "password", "code_steps", "reason"),
    [
        ("ada", "wrong password!!", 0, "wrong-password"),
        ("ada", PASSWORD, 5, "wrong-code"),
        ("bob", PASSWORD, 0, "unknown-operator"),
    ],
)
def test_each_refusal_is_recorded_with_its_reason(
    directory: OperatorDirectory, app: Application[UUID], clock: Clock,
    name: str, password: str, code_steps: int, reason: str,
) -> None:
    """A refusal tells the person nothing specific; the recorded event names the reason."""
    secret = directory.enrol("ada", "viewer", PASSWORD, by="test").totp_secret
    with pytest.raises(LoginRefusedError) as refused:
        directory.login(name, password, _code(secret, clock, code_steps), client="t")
    assert refused.value.message == "name, password or code not accepted"
    assert _refusals(app) == [reason]


def test_a_code_is_accepted_once(directory: OperatorDirectory, clock: Clock) -> None:
    """A second login with the same time step's code is refused (a replayed code)."""
    secret = directory.enrol("ada", "viewer", PASSWORD, by="test").totp_secret
    directory.login("ada", PASSWORD, _code(secret, clock), client="t")
    with pytest.raises(LoginRefusedError) as refused:
        directory.login("ada", PASSWORD, _code(secret, clock), client="t")
    assert refused.value.reason == "code-reused"
    clock.now += dt.timedelta(seconds=30)
    directory.login("ada", PASSWORD, _code(secret, clock), client="t")


def test_a_spent_code_stays_spent_for_a_restarted_or_second_worker(
    app: Application[UUID], clock: Clock
) -> None:
    """Another directory on the same store (a restart, a second hub worker) refuses the
    code the first one accepted: the store holds the spent step, not the process."""
    secrets = OperatorSecrets(os.urandom(32))
    first = OperatorDirectory(app, secrets, issuer="hub north", clock=clock)
    secret = first.enrol("ada", "viewer", PASSWORD, by="test").totp_secret
    first.login("ada", PASSWORD, _code(secret, clock), client="worker-1")
    second = OperatorDirectory(app, secrets, issuer="hub north", clock=clock)
    with pytest.raises(LoginRefusedError) as refused:
        second.login("ada", PASSWORD, _code(secret, clock), client="worker-2")
    assert refused.value.reason == "code-reused"
    assert _refusals(app) == ["code-reused"]
    second.login("ada", PASSWORD, _code(secret, clock, 1), client="worker-2")


def test_repeated_failures_lock_the_name_out_for_a_while(
    directory: OperatorDirectory, clock: Clock
) -> None:
    """After MAX_FAILURES refusals even the right password is refused, until the lockout ends."""
    secret = directory.enrol("ada", "viewer", PASSWORD, by="test").totp_secret
    for _ in range(MAX_FAILURES):
        with pytest.raises(LoginRefusedError):
            directory.login("ada", "not the password", "000000", client="t")
    with pytest.raises(LoginRefusedError) as refused:
        directory.login("ada", PASSWORD, _code(secret, clock), client="t")
    assert refused.value.reason == "locked-out"
    clock.now += dt.timedelta(minutes=16)
    directory.login("ada", PASSWORD, _code(secret, clock), client="t")


def test_sessions_end_on_logout_expiry_and_disable(
    directory: OperatorDirectory, clock: Clock
) -> None:
    """Logout, the end of the session's time and a disabled account each invalidate it."""
    secret = directory.enrol("ada", "operator", PASSWORD, by="test").totp_secret
    first = directory.login("ada", PASSWORD, _code(secret, clock), client="t")
    directory.logout(first.id)
    with pytest.raises(SessionInvalidError):
        directory.session(first.id)
    clock.now += dt.timedelta(seconds=30)
    second = directory.login("ada", PASSWORD, _code(secret, clock), client="t")
    clock.now += dt.timedelta(hours=9)
    with pytest.raises(SessionInvalidError):
        directory.session(second.id)
    third = directory.login("ada", PASSWORD, _code(secret, clock), client="t")
    directory.disable("ada", by="test", reason="left")
    with pytest.raises(SessionInvalidError):
        directory.session(third.id)
    with pytest.raises(SessionInvalidError):
        directory.session(uuid4())


def test_a_role_change_applies_to_open_sessions(directory: OperatorDirectory, clock: Clock) -> None:
    """The session carries the account's current role, not the one it logged in with."""
    secret = directory.enrol("ada", "operator", PASSWORD, by="test").totp_secret
    session = directory.login("ada", PASSWORD, _code(secret, clock), client="t")
    directory.set_role("ada", "viewer", by="test")
    current = directory.session(session.id)
    assert current.role == "viewer"
    with pytest.raises(NotPermittedError):
        current.require(Permission.REQUEUE)


def test_actions_are_recorded_newest_first(directory: OperatorDirectory, clock: Clock) -> None:
    """Every recorded action keeps who, role, what, on what, and the outcome."""
    secret = directory.enrol("ada", "operator", PASSWORD, by="test").totp_secret
    session = directory.login("ada", PASSWORD, _code(secret, clock), client="t")
    directory.record(session, "audit.verify", "north", "ok", "0 problems")
    directory.record(session, "dlq.requeue", "3f2a", "requeued")
    entries = directory.actions()
    assert [(e.action, e.outcome) for e in entries] == [
        ("dlq.requeue", "requeued"), ("audit.verify", "ok")]
    assert {e.operator for e in entries} == {"ada"}


def test_enrolment_rules(directory: OperatorDirectory) -> None:
    """Names, roles and passwords are checked; a name is enrolled once."""
    directory.enrol("ada", "viewer", PASSWORD, by="test")
    with pytest.raises(OperatorExistsError):
        directory.enrol("ada", "viewer", PASSWORD, by="test")
    for name, role, password in (("Ada!", "viewer", PASSWORD), ("eve", "root", PASSWORD),
                                 ("eve", "viewer", "short")):
        with pytest.raises(OperatorError):
            directory.enrol(name, role, password, by="test")
    assert [a.name for a in directory.accounts()] == ["ada"]


def test_totp_secret_is_sealed_for_its_account(app: Application[UUID]) -> None:
    """The stored TOTP secret is sealed, and a sealed secret moved to another name does not open."""
    kek = os.urandom(32)
    secrets = OperatorSecrets(kek)
    directory = OperatorDirectory(app, secrets, issuer="hub north")
    enrolment = directory.enrol("ada", "viewer", PASSWORD, by="test")
    stored = app.repository.get(operator_id("ada"))
    assert isinstance(stored, Operator)
    assert enrolment.totp_secret not in stored.totp_sealed
    assert secrets.open_totp(stored.totp_sealed, "ada") == enrolment.totp_secret
    with pytest.raises(OperatorError):
        secrets.open_totp(stored.totp_sealed, "eve")
    with pytest.raises(OperatorError):
        OperatorSecrets(os.urandom(32)).open_totp(stored.totp_sealed, "ada")


def test_the_lockout_holds_across_workers_and_a_good_login_clears_it(
    app: Application[UUID], clock: Clock
) -> None:
    """Refusals counted by one directory lock the name out in another on the same store (a
    second hub worker, a restart); a good login before the limit starts the count again."""
    clock.now = clock.now.replace(minute=10)  # 5 minutes before a 15-minute window ends
    secrets = OperatorSecrets(os.urandom(32))
    first = OperatorDirectory(app, secrets, issuer="hub north", clock=clock)
    second = OperatorDirectory(app, secrets, issuer="hub north", clock=clock)
    secret = first.enrol("ada", "viewer", PASSWORD, by="test").totp_secret
    for n in range(MAX_FAILURES - 1):
        with pytest.raises(LoginRefusedError):
            (first if n % 2 else second).login("ada", "not the password", "0", client="t")
    second.login("ada", PASSWORD, _code(secret, clock), client="t")  # clears the count
    clock.now += dt.timedelta(seconds=1)
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(LoginRefusedError) as refused:
            first.login("ada", "not the password", "0", client="t")
        assert refused.value.reason == "wrong-password"
    clock.now += dt.timedelta(minutes=14)  # the next window, within LOCKOUT: they still count
    with pytest.raises(LoginRefusedError):
        second.login("ada", "not the password", "0", client="t")
    with pytest.raises(LoginRefusedError) as refused:
        first.login("ada", PASSWORD, _code(secret, clock), client="t")
    assert refused.value.reason == "locked-out"
    clock.now += dt.timedelta(minutes=16)
    second.login("ada", PASSWORD, _code(secret, clock), client="t")
