"""``interop-hub operator``: console accounts — enrol, list, change role, disable, reset TOTP.

Passwords are asked for at a prompt (typed twice, never echoed) or read from a
file (``--password-file``, for scripts); they are never an argument, so they do
not end up in shell history or process lists. The TOTP secret of a new account
is printed once, with its ``otpauth://`` URI for an authenticator app.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from hub.bootstrap.operators import operator_directory

# ``cli`` imports this module while it loads; its names are read only when a command runs.
from hub.entrypoints.cli import common as hub_cli
from hub.service_layer.operators import Enrolment, OperatorError, Role

app = typer.Typer(help="Operator accounts of the web console.", no_args_is_help=True)

NameArgument = Annotated[str, typer.Argument(help="The operator's login name",
                                             show_default=False)]
PasswordFile = Annotated[Path | None, typer.Option(
    "--password-file", help="Read the password from this file (first line) instead of a prompt",
    exists=True, dir_okay=False, readable=True)]
ByOption = Annotated[str, typer.Option("--by", help="Who makes the change (recorded)")]


def _actor(by: str) -> str:
    return by or f"cli:{getpass.getuser()}"


def _password(path: Path | None) -> str:
    if path is not None:
        return path.read_text(encoding="utf-8").splitlines()[0] if path.stat().st_size else ""
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def _run(data: Path | None, action):  # type: ignore[no-untyped-def]
    settings = hub_cli.load_settings(data)
    ledger = hub_cli.open_ledger(settings)
    try:
        return action(operator_directory(settings, ledger))
    except OperatorError as exc:
        hub_cli.out.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
    finally:
        ledger.close()


def _print_enrolment(enrolment: Enrolment) -> None:
    out = hub_cli.out
    out.print(f"operator {enrolment.name} ({enrolment.role})", highlight=False)
    out.print(f"TOTP secret: {enrolment.totp_secret}  (shown once: add it to an "
              "authenticator app now)", highlight=False)
    out.print(f"otpauth URI: {enrolment.provisioning_uri}", highlight=False, soft_wrap=True)


@app.command("add")
def add(
    name: NameArgument,
    role: Annotated[Role, typer.Option("--role", help="viewer, operator or auditor")],
    data: hub_cli.DataOption = None,
    password_file: PasswordFile = None,
    by: ByOption = "",
) -> None:
    """Enrol an operator; prints the TOTP secret once."""
    password = _password(password_file)
    enrolment = _run(data, lambda d: d.enrol(name, role.value, password, by=_actor(by)))
    _print_enrolment(enrolment)


@app.command("list")
def list_operators(data: hub_cli.DataOption = None) -> None:
    """Every account: name, role, whether it may log in."""
    accounts = _run(data, lambda d: d.accounts())
    for account in accounts:
        state = "enabled" if account.enabled else "disabled"
        hub_cli.out.print(f"{account.name}  {account.role}  {state}", highlight=False)
    hub_cli.out.print(f"{len(accounts)} operator(s)", highlight=False)


@app.command("set-role")
def set_role(
    name: NameArgument,
    role: Annotated[Role, typer.Option("--role", help="viewer, operator or auditor")],
    data: hub_cli.DataOption = None,
    by: ByOption = "",
) -> None:
    """Change an operator's role (open sessions get it at their next request)."""
    _run(data, lambda d: d.set_role(name, role.value, by=_actor(by)))
    hub_cli.out.print(f"operator {name} is now {role.value}", highlight=False)


@app.command("disable")
def disable(
    name: NameArgument,
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded)")] = "",
    data: hub_cli.DataOption = None,
    by: ByOption = "",
) -> None:
    """Stop an operator from logging in; open sessions end at their next request."""
    _run(data, lambda d: d.disable(name, by=_actor(by), reason=reason))
    hub_cli.out.print(f"operator {name} is disabled", highlight=False)


@app.command("enable")
def enable(name: NameArgument, data: hub_cli.DataOption = None, by: ByOption = "") -> None:
    """Let a disabled operator log in again."""
    _run(data, lambda d: d.enable(name, by=_actor(by)))
    hub_cli.out.print(f"operator {name} is enabled", highlight=False)


@app.command("reset-totp")
def reset_totp(name: NameArgument, data: hub_cli.DataOption = None, by: ByOption = "") -> None:
    """A new TOTP secret for a lost authenticator; prints it once."""
    _print_enrolment(_run(data, lambda d: d.reset_totp(name, by=_actor(by))))


@app.command("passwd")
def passwd(
    name: NameArgument,
    data: hub_cli.DataOption = None,
    password_file: PasswordFile = None,
    by: ByOption = "",
) -> None:
    """Set a new password for an operator."""
    password = _password(password_file)
    _run(data, lambda d: d.change_password(name, password, by=_actor(by)))
    hub_cli.out.print(f"password of {name} changed", highlight=False)
