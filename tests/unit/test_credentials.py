"""API tokens: format, verifiers, and the credential life cycle (issue, rotate, revoke, expire)."""

from __future__ import annotations

import datetime as dt
from uuid import uuid4

import pytest

from hub.adapters.store.ledger import Ledger
from hub.domain.credential import Credential, CredentialKind
from hub.domain.credential_errors import (
    CredentialError,
    ExpiredCredentialError,
    MalformedCredentialsError,
    MissingCredentialsError,
    RevokedCredentialError,
    UnknownCredentialError,
    WrongCredentialError,
)
from hub.service_layer.security.credentials import CredentialService, parse_ttl
from hub.service_layer.security.tokens import Token, new_secret, parse_authorization

DAY = dt.timedelta(days=1)


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(ledger: Ledger, clock: Clock) -> CredentialService:
    return CredentialService(ledger, "north", clock=clock)


@pytest.mark.parametrize(
    ("header", "error"),
    [
        (None, MissingCredentialsError),
        ("", MissingCredentialsError),
        ("Basic dXNlcjpwdw==", MalformedCredentialsError),
        ("Bearer", MalformedCredentialsError),
        ("Bearer ihk_123_abc", MalformedCredentialsError),
        (f"Bearer ihk_{uuid4().hex}_{'a' * 42}", MalformedCredentialsError),
    ],
)
def test_bad_authorization_headers_are_named(header: str | None, error: type) -> None:
    """Each malformed header gets its own error, on the Authorization header's path."""
    with pytest.raises(error) as raised:
        parse_authorization(header)
    assert raised.value.issues[0].path == "header:Authorization"
    assert raised.value.code in {"missing-credentials", "malformed-credentials"}


def test_a_token_round_trips_and_hides_its_secret() -> None:
    """str() is the token; repr() never shows the secret."""
    token = Token(uuid4(), new_secret())
    assert parse_authorization(f"bearer {token}") == token
    assert token.secret not in repr(token)


def test_issue_then_authenticate(service: CredentialService) -> None:
    """An issued token authenticates its department; the event holds a verifier, not the token."""
    issued = service.issue("north/tax", CredentialKind.DEPARTMENT, DAY)
    principal = service.authenticate(f"Bearer {issued.token}")
    assert (principal.name, principal.kind) == ("north/tax", CredentialKind.DEPARTMENT)
    assert issued.nats_seed is not None and issued.nats_seed.startswith(b"SU")
    assert issued.token not in repr(issued)
    [info] = service.list()
    assert info.status == "active" and info.nkey.startswith("U")


def test_wrong_unknown_rotated_revoked_and_expired_tokens_are_refused(
    service: CredentialService, clock: Clock
) -> None:
    """Every way a token stops working has its own error, effective at once."""
    issued = service.issue("north/tax", CredentialKind.DEPARTMENT, DAY)
    with pytest.raises(WrongCredentialError):
        service.authenticate(f"Bearer {issued.token[:-1]}{'A' if issued.token[-1] != 'A' else 'B'}")
    with pytest.raises(UnknownCredentialError):
        service.authenticate(f"Bearer {Token(uuid4(), new_secret())}")
    rotated = service.rotate(issued.credential_id, DAY)
    with pytest.raises(WrongCredentialError):
        service.authenticate(f"Bearer {issued.token}")
    assert service.authenticate(f"Bearer {rotated.token}").name == "north/tax"
    clock.now += 2 * DAY
    with pytest.raises(ExpiredCredentialError):
        service.authenticate(f"Bearer {rotated.token}")
    assert service.active_department_nkeys() == {}
    service.revoke(issued.credential_id, "left the network")
    with pytest.raises(RevokedCredentialError) as raised:
        service.authenticate(f"Bearer {rotated.token}")
    assert "left the network" in raised.value.message
    with pytest.raises(CredentialError):
        service.rotate(issued.credential_id, DAY)


@pytest.mark.parametrize(
    ("principal", "kind"),
    [
        ("south/tax", CredentialKind.DEPARTMENT),
        ("tax", CredentialKind.DEPARTMENT),
        ("alice", CredentialKind.OPERATOR),
        ("operator:Alice", CredentialKind.OPERATOR),
    ],
)
def test_principals_outside_the_region_or_malformed_are_refused(
    service: CredentialService, principal: str, kind: CredentialKind
) -> None:
    """A department of another region, or a malformed name, gets no credential."""
    with pytest.raises(CredentialError):
        service.issue(principal, kind, DAY)


def test_operators_have_no_nats_user(service: CredentialService) -> None:
    """An operator token authenticates an operator and carries no NATS seed."""
    issued = service.issue("operator:alice", CredentialKind.OPERATOR, DAY)
    assert issued.nats_seed is None
    assert service.authenticate(f"Bearer {issued.token}").kind is CredentialKind.OPERATOR


def test_events_are_recorded_in_the_ledger(service: CredentialService, ledger: Ledger) -> None:
    """Issued, Rotated, Revoked are stored events of the ledger (so the audit log covers them)."""
    issued = service.issue("north/tax", CredentialKind.DEPARTMENT, DAY)
    service.rotate(issued.credential_id, DAY)
    service.revoke(issued.credential_id, "test")
    events = list(ledger.events.get(issued.credential_id))
    assert [type(e) for e in events] == [Credential.Issued, Credential.Rotated, Credential.Revoked]
    assert all(issued.token.split("_", 2)[2] not in repr(vars(e)) for e in events)


@pytest.mark.parametrize(("text", "expected"), [("90d", dt.timedelta(days=90)),
                                                ("12h", dt.timedelta(hours=12)),
                                                ("30m", dt.timedelta(minutes=30))])
def test_ttl(text: str, expected: dt.timedelta) -> None:
    assert parse_ttl(text) == expected


@pytest.mark.parametrize("text", ["0d", "1y", "-1d", "d"])
def test_bad_ttl(text: str) -> None:
    with pytest.raises(CredentialError):
        parse_ttl(text)
