"""Legacy logins over a real SQLite store: sealing, rotation, and replays across two processes.

Two ledgers over one store stand for two hub processes (the production shape
runs several workers per region): a nonce used through one is refused by the other.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree
from zeep.wsse.username import UsernameToken as ZeepUsernameToken

from hub.adapters.store.ledger import Ledger
from hub.bootstrap.privacy import build_ledger
from hub.domain.credential_errors import CredentialError
from hub.service_layer.security.legacy_errors import (
    PasswordTextRefusedError,
    ReplayedNonceError,
    StaleTokenError,
    UnknownUsernameError,
    WrongPasswordError,
)
from hub.service_layer.security.legacy_logins import LegacyLogins, subject_identity
from hub.settings import HubSettings
from translation.wsse_username import (
    SECURITY,
    UsernameToken,
    password_digest,
    read_username_token,
)

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
PASSWORD = "a-long-legacy-password-42"


@contextlib.contextmanager
def _two_processes(settings: HubSettings) -> Iterator[tuple[Ledger, Ledger]]:
    settings.data.mkdir(parents=True)
    first, second = build_ledger(settings), build_ledger(settings)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


@pytest.fixture
def ledgers(tmp_path: Path) -> Iterator[tuple[Ledger, Ledger]]:
    with _two_processes(HubSettings(data=tmp_path / "hub", log_format="json")) as pair:
        yield pair


@pytest.fixture(params=["sqlite", "postgres"])
def shared_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Ledger, Ledger]]:
    """Two ledgers over one SQLite file or one PostgreSQL database (the workers' shape)."""
    store = None if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    with _two_processes(HubSettings(data=tmp_path / "hub", store=store,
                                    log_format="json")) as pair:
        yield pair


def _logins(ledger: Ledger) -> LegacyLogins:
    return LegacyLogins(ledger, "north", clock=lambda: NOW)


def _token(password: str = PASSWORD, nonce: bytes = b"n" * 16, created: dt.datetime = NOW,
           username: str = "tax-legacy") -> UsernameToken:
    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    return UsernameToken(username, password_digest(nonce, stamp, password), "digest", nonce,
                         stamp)


def test_zeeps_digest_is_the_one_the_hub_checks() -> None:
    """zeep (an independent implementation) and the hub agree on the PasswordDigest."""
    token = ZeepUsernameToken("tax-legacy", PASSWORD, use_digest=True, created=NOW)
    security = token.apply(_empty_envelope(), {})[0].find(f".//{SECURITY}")
    read = read_username_token(security)
    assert read.password == password_digest(read.nonce, read.created, PASSWORD)


def test_a_nonce_used_in_one_process_is_refused_in_another(
    shared_store: tuple[Ledger, Ledger],
) -> None:
    first, second = shared_store
    _logins(first).set_username_token("north/tax", "tax-legacy", PASSWORD)
    assert _logins(second).authenticate_username_token(_token()).name == "north/tax"
    with pytest.raises(ReplayedNonceError):
        _logins(first).authenticate_username_token(_token())
    assert _logins(first).authenticate_username_token(_token(nonce=b"m" * 16)).name == "north/tax"


def test_each_refusal_has_its_error(ledgers: tuple[Ledger, Ledger]) -> None:
    logins = _logins(ledgers[0])
    logins.set_username_token("north/tax", "tax-legacy", PASSWORD)
    cases = [
        (_token(password="wrong-password-0000000"), WrongPasswordError),
        (_token(username="nobody"), UnknownUsernameError),
        (_token(created=NOW - dt.timedelta(minutes=6)), StaleTokenError),
        (_token(created=NOW + dt.timedelta(minutes=2)), StaleTokenError),
        (UsernameToken("tax-legacy", PASSWORD, "text", b"", ""), PasswordTextRefusedError),
    ]
    for token, error in cases:
        with pytest.raises(error):
            logins.authenticate_username_token(token)


def test_rotation_stops_the_old_password_at_once(ledgers: tuple[Ledger, Ledger]) -> None:
    logins = _logins(ledgers[0])
    logins.set_username_token("north/tax", "tax-legacy", PASSWORD)
    logins.set_username_token("north/tax", "tax-legacy", PASSWORD + "-rotated")
    with pytest.raises(WrongPasswordError):
        logins.authenticate_username_token(_token())
    assert logins.authenticate_username_token(_token(PASSWORD + "-rotated", b"r" * 16))


def test_the_password_is_stored_only_sealed(tmp_path: Path, ledgers: tuple[Ledger, Ledger]) -> None:
    _logins(ledgers[0]).set_username_token("north/tax", "tax-legacy", PASSWORD)
    for path in (tmp_path / "hub").rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


def test_bad_settings_are_refused(ledgers: tuple[Ledger, Ledger]) -> None:
    logins = _logins(ledgers[0])
    logins.set_username_token("north/tax", "tax-legacy", PASSWORD)
    cases = [("south/tax", "x", PASSWORD), ("north/tax", "x", "short"),
             ("north/social-security", "tax-legacy", PASSWORD)]  # another region; short; taken
    for department, username, password in cases:
        with pytest.raises(CredentialError):
            logins.set_username_token(department, username, password)


def test_a_subject_is_one_identity_in_either_order() -> None:
    assert subject_identity("CN=tax,O=North") == subject_identity("O=North,CN=tax")


def _empty_envelope() -> etree._Element:
    soap = "http://schemas.xmlsoap.org/soap/envelope/"
    envelope = etree.Element(f"{{{soap}}}Envelope", nsmap={"soap": soap})
    etree.SubElement(envelope, f"{{{soap}}}Header")
    etree.SubElement(envelope, f"{{{soap}}}Body")
    return envelope


def test_a_rotation_under_a_new_username_retires_the_old_one(
    ledgers: tuple[Ledger, Ledger],
) -> None:
    """A department has one UsernameToken: renaming it leaves the old username unknown."""
    logins = _logins(ledgers[0])
    logins.set_username_token("north/tax", "tax-legacy", PASSWORD)
    logins.set_username_token("north/tax", "tax-new", PASSWORD)
    with pytest.raises(UnknownUsernameError):
        logins.authenticate_username_token(_token())
    assert _logins(ledgers[1]).authenticate_username_token(
        _token(username="tax-new")).name == "north/tax"
