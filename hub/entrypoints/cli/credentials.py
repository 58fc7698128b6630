"""``interop-hub credentials``: issue, rotate, revoke, resume and list departments' and
operators' tokens.

``resume`` lifts a suspension the access watch made after an access anomaly
(``interop-hub alarms show`` says why); the operator's name and reason are recorded.

A token is printed once, at ``issue`` and ``rotate``; the hub keeps only its
verifier (:mod:`hub.service_layer.security.credentials`). ``issue`` for a department also
writes the department's NATS nkey seed to a file of mode 0600 and names it
(under the data folder, ``DIR/nats-seeds/``, unless ``--seed-out`` says where):
the department connects to the hub's NATS server with it (``nkeys_seed`` in
nats-py). A running hub follows the store (:mod:`hub.adapters.readmodels`): what these
commands change applies to its HTTP requests within a second, and to the
embedded NATS server's users at its next refresh (``HUB_NATS_USERS_REFRESH_S``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hub.adapters.store.ledger import Ledger
from hub.bootstrap.privacy import build_ledger
from hub.domain.credential import CredentialKind
from hub.domain.credential_errors import CredentialError
from hub.entrypoints.cli import common as hub_cli
from hub.service_layer.security.credentials import OPERATOR_PREFIX, CredentialService, parse_ttl
from hub.settings import HubSettings

app = typer.Typer(help="API tokens of departments and operators.", no_args_is_help=True)


TtlOption = Annotated[str, typer.Option("--ttl", help="Validity: e.g. 90d, 12h, 30m")]
IdArgument = Annotated[str, typer.Argument(help="Credential id (as `credentials list` shows)")]


def _service(settings: HubSettings) -> tuple[CredentialService, Ledger]:
    settings.data.mkdir(parents=True, exist_ok=True)
    ledger = build_ledger(settings)
    return CredentialService(ledger, settings.region), ledger


@app.command("issue")
def issue(
    principal: Annotated[str, typer.Argument(help="region/department, or a name with --operator")],
    data: hub_cli.DataOption = None,
    operator: Annotated[bool, typer.Option("--operator", help="An operator's token")] = False,
    ttl: TtlOption = "90d",
    seed_out: Annotated[
        Path | None,
        typer.Option("--seed-out", help="Where to write a department's NATS nkey seed "
                     "(default DIR/nats-seeds/<region>-<department>-<id>.nk)"),
    ] = None,
) -> None:
    """Issue a token (printed once) and, for a department, write its NATS seed file (0600)."""
    settings = hub_cli.load_settings(data)
    kind = CredentialKind.OPERATOR if operator else CredentialKind.DEPARTMENT
    if operator and not principal.startswith(OPERATOR_PREFIX):
        principal = OPERATOR_PREFIX + principal
    service, ledger = _service(settings)
    try:
        issued = service.issue(principal, kind, parse_ttl(ttl))
    except CredentialError as exc:
        hub_cli.out.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
    finally:
        ledger.close()
    out = hub_cli.out
    out.print(f"issued credential {issued.credential_id.hex} for {issued.principal} "
              f"({issued.kind.value}), valid until {issued.expires_at}", highlight=False)
    out.print("token (shown once, keep it secret):", highlight=False)
    print(issued.token, flush=True)  # plain, so scripts can read the line as it is
    if issued.nats_seed is not None:
        path = seed_out or _default_seed_path(settings, principal, issued.credential_id.hex)
        _write_private(path, issued.nats_seed + b"\n")
        out.print(f"NATS nkey seed written to {path} (mode 0600)", highlight=False)


@app.command("rotate")
def rotate(credential_id: IdArgument, data: hub_cli.DataOption = None,
           ttl: TtlOption = "90d") -> None:
    """Give the credential a new secret (printed once); the old token stops working at once."""
    settings = hub_cli.load_settings(data)
    service, ledger = _service(settings)
    try:
        issued = service.rotate(credential_id, parse_ttl(ttl))
    except CredentialError as exc:
        hub_cli.out.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
    finally:
        ledger.close()
    hub_cli.out.print(f"rotated credential {issued.credential_id.hex} of {issued.principal}, "
                      f"valid until {issued.expires_at}", highlight=False)
    hub_cli.out.print("token (shown once, keep it secret):", highlight=False)
    print(issued.token, flush=True)


@app.command("revoke")
def revoke(
    credential_id: IdArgument,
    data: hub_cli.DataOption = None,
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded)")] = "revoked by an "
    "operator",
) -> None:
    """Revoke a credential: its token and NATS user are refused from now on."""
    settings = hub_cli.load_settings(data)
    service, ledger = _service(settings)
    try:
        info = service.revoke(credential_id, reason)
    except CredentialError as exc:
        hub_cli.out.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
    finally:
        ledger.close()
    hub_cli.out.print(f"revoked credential {info.credential_id.hex} of {info.principal}",
                      highlight=False)


@app.command("resume")
def resume(
    credential_id: IdArgument,
    reason: Annotated[str, typer.Option("--reason", help="Why it may be used again (recorded)")],
    data: hub_cli.DataOption = None,
    by: Annotated[str, typer.Option("--by", help="Who resumes it (recorded)")] = "operator",
) -> None:
    """Lift a suspension (after an access anomaly): the token works again from now on."""
    settings = hub_cli.load_settings(data)
    service, ledger = _service(settings)
    try:
        info = service.resume(credential_id, by=by, reason=reason)
    except CredentialError as exc:
        hub_cli.out.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
    finally:
        ledger.close()
    hub_cli.out.print(f"resumed credential {info.credential_id.hex} of {info.principal}",
                      highlight=False)


@app.command("list")
def list_(data: hub_cli.DataOption = None) -> None:
    """Every credential issued in this region: principal, kind, expiry, status (no secrets)."""
    settings = hub_cli.load_settings(data)
    service, ledger = _service(settings)
    try:
        infos = service.list()
    finally:
        ledger.close()
    table = Table(title=f"credentials in {settings.data}")
    for column in ("id", "principal", "kind", "expires (UTC)", "status", "nats user"):
        table.add_column(column)
    for info in infos:
        table.add_row(info.credential_id.hex, info.principal, info.kind.value,
                      info.expires_at[:19], info.status, info.nkey[:12] + "…" if info.nkey else "-")
    hub_cli.out.print(table)
    hub_cli.out.print(f"{len(infos)} credentials")


def _default_seed_path(settings: HubSettings, principal: str, credential_id: str) -> Path:
    """Under the data folder, in a folder only the owner may list: a secret never lands in
    whatever directory the command happens to run from."""
    folder = settings.data / "nats-seeds"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder / f"{principal.replace('/', '-')}-{credential_id[:8]}.nk"


def _write_private(path: Path, content: bytes) -> None:
    """Write ``content`` to a new file of mode 0600 (never over an existing one)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise CredentialError(f"cannot write the NATS seed file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)

