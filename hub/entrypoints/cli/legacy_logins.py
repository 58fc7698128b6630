"""``interop-hub credentials wss-set`` and ``cert-bind``: legacy clients' proofs of identity.

``wss-set`` gives a department a WS-Security UsernameToken (or rotates it): the
password is generated and printed once, or read from standard input with
``--password-stdin``; the hub keeps it only sealed under a KEK-wrapped region
secret (:mod:`hub.service_layer.security.legacy_logins`). ``cert-bind`` lets a client
certificate, verified by the hub's TLS listener against ``HUB_TLS_CLIENT_CA``,
stand for a department, by its subject DN or a subjectAltName value.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from hub.bootstrap.privacy import build_ledger
from hub.domain.credential_errors import CredentialError
from hub.entrypoints.cli import common as hub_cli
from hub.entrypoints.cli.credentials import app
from hub.service_layer.security.credentials import CredentialService

DepartmentArgument = Annotated[str, typer.Argument(help="region/department")]


@app.command("wss-set")
def wss_set(
    department: DepartmentArgument,
    username: Annotated[str, typer.Option("--username", help="The UsernameToken's username")],
    data: hub_cli.DataOption = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from standard input (else one is generated "
        "and printed once)")] = False,
) -> None:
    """Set or rotate a department's WS-Security UsernameToken (PasswordDigest)."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else secrets.token_urlsafe(24)
    _run(data, lambda s: s.legacy.set_username_token(department, username, password))
    hub_cli.out.print(f"UsernameToken of {department} set: username {username!r}; the previous "
                      "password (if any) no longer works", highlight=False)
    if not password_stdin:
        hub_cli.out.print("password (shown once, keep it secret):", highlight=False)
        print(password, flush=True)  # plain, so scripts can read the line as it is


@app.command("cert-bind")
def cert_bind(
    department: DepartmentArgument,
    data: hub_cli.DataOption = None,
    subject: Annotated[str | None, typer.Option(
        "--subject", help="The certificate's subject DN, RFC 4514 (e.g. 'CN=tax,O=North')")] = None,
    dns: Annotated[str | None, typer.Option("--dns", help="A DNS subjectAltName")] = None,
    uri: Annotated[str | None, typer.Option("--uri", help="A URI subjectAltName")] = None,
) -> None:
    """Let a client certificate (by subject or SAN) prove a department without a token."""
    given = [f"{kind}:{value}" for kind, value in (("subject", subject), ("dns", dns),
                                                   ("uri", uri)) if value]
    if len(given) != 1:
        hub_cli.out.print("[red]name the certificate by exactly one of --subject, --dns, --uri"
                          "[/red]")
        raise typer.Exit(1)
    _run(data, lambda s: s.legacy.bind_certificate(department, given[0]))
    hub_cli.out.print(f"a verified client certificate with {given[0]} now proves {department}",
                      highlight=False)


def _run(data: Path | None, change: Callable[[CredentialService], None]) -> None:
    settings = hub_cli.load_settings(data)
    settings.data.mkdir(parents=True, exist_ok=True)
    ledger = build_ledger(settings)
    try:
        change(CredentialService(ledger, settings.region))
    except CredentialError as exc:
        hub_cli.out.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
    finally:
        ledger.close()
