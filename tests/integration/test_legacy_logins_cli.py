"""``credentials wss-set`` and ``cert-bind`` against a real data folder (SQLite, key store)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import structlog
from typer.testing import CliRunner

from hub.bootstrap.privacy import build_ledger
from hub.entrypoints.cli.main import app
from hub.service_layer.security.credentials import CredentialService
from hub.service_layer.security.legacy_logins import subject_identity
from hub.settings import HubSettings
from translation.wsse_username import UsernameToken, password_digest


def cli(*args: str, stdin: str | None = None) -> Any:
    saved = structlog.get_config()  # the command reconfigures structlog: put it back
    try:
        return CliRunner().invoke(app, ["credentials", *args], input=stdin,
                                  catch_exceptions=False)
    finally:
        structlog.configure(**saved)


@contextlib.contextmanager
def _service(data: Path) -> Iterator[CredentialService]:
    ledger = build_ledger(HubSettings(data=data, log_format="json"))
    try:
        yield CredentialService(ledger, "north")
    finally:
        ledger.close()


def test_wss_set_prints_a_generated_password_that_authenticates(tmp_path: Path) -> None:
    """The printed password works; it is in no file in clear; setting again rotates it."""
    data = tmp_path / "hub"
    result = cli("wss-set", "north/tax", "--username", "tax-legacy", "--data", str(data))
    assert result.exit_code == 0, result.output
    password = result.output.strip().splitlines()[-1]
    for path in data.rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path
    created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    token = UsernameToken("tax-legacy", password_digest(b"n" * 16, created, password), "digest",
                          b"n" * 16, created)
    with _service(data) as service:
        assert service.legacy.authenticate_username_token(token).name == "north/tax"


def test_wss_set_reads_the_password_from_stdin(tmp_path: Path) -> None:
    data = tmp_path / "hub"
    result = cli("wss-set", "north/tax", "--username", "u", "--password-stdin", "--data",
                 str(data), stdin="a-password-of-20-chars\n")
    assert result.exit_code == 0, result.output
    assert "a-password-of-20-chars" not in result.output


def test_wss_set_refuses_a_short_password_and_another_region(tmp_path: Path) -> None:
    data = str(tmp_path / "hub")
    short = cli("wss-set", "north/tax", "--username", "u", "--password-stdin", "--data", data,
                stdin="short\n")
    other = cli("wss-set", "south/tax", "--username", "u", "--data", data)
    assert short.exit_code == 1 and "16 characters" in short.output
    assert other.exit_code == 1 and "not of this region" in other.output


def test_cert_bind_binds_one_identity(tmp_path: Path) -> None:
    data = tmp_path / "hub"
    assert cli("cert-bind", "north/tax", "--data", str(data)).exit_code == 1
    result = cli("cert-bind", "north/tax", "--subject", "CN=tax,O=North", "--data", str(data))
    assert result.exit_code == 0, result.output
    with _service(data) as service:
        principal = service.legacy.authenticate_certificate(
            [subject_identity("O=North,CN=tax")], "CN=tax")
    assert principal.name == "north/tax"
