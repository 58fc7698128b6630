"""``interop-hub access``: grant, revoke and list access rights (deny by default).

A client is ``region/department``; a bare ``department`` is one of this region.
Each command records events in the region's ledger (hence in the audit log)::

    access grant north/tax north/social-security/contribution-history --purpose tax-assessment
    access revoke north/tax north/social-security/contribution-history --reason "audit 2026-11"
    access list [--json]
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from hub.adapters.store.ledger import Ledger
from hub.bootstrap.privacy import build_ledger
from hub.entrypoints.cli import common as hub_cli
from hub.service_layer.security.access import AccessRights
from hub.settings import HubSettings

app = typer.Typer(help="Access rights of client departments on services.", no_args_is_help=True)


ClientArgument = Annotated[
    str, typer.Argument(help="region/department (or a department of this region)")
]
ServiceArgument = Annotated[str, typer.Argument(help="region/department/service")]


def _rights(settings: HubSettings) -> tuple[Ledger, AccessRights]:
    # Rights are granted before a region first runs, too: create the ledger if need be.
    settings.data.mkdir(parents=True, exist_ok=True)
    ledger = build_ledger(settings)
    return ledger, AccessRights(ledger, settings.region)


@app.command("grant")
def grant(
    client: ClientArgument,
    service: ServiceArgument,
    purpose: Annotated[
        list[str] | None,
        typer.Option("--purpose", help="A purpose the right covers (repeat for more)"),
    ] = None,
    by: Annotated[str, typer.Option("--by", help="Who grants (recorded)")] = "operator",
    data: hub_cli.DataOption = None,
) -> None:
    """Let CLIENT query SERVICE for the purposes given (replaces an earlier grant)."""
    if not purpose:
        raise typer.BadParameter("name at least one --purpose", param_hint="--purpose")
    ledger, rights = _rights(hub_cli.load_settings(data))
    try:
        right = rights.grant(client, service, purpose, by=by)
    finally:
        ledger.close()
    hub_cli.out.print(
        f"granted {right.client} on {right.service} for {', '.join(right.purposes)}",
        highlight=False,
    )


@app.command("revoke")
def revoke(
    client: ClientArgument,
    service: ServiceArgument,
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded)")] = "",
    by: Annotated[str, typer.Option("--by", help="Who revokes (recorded)")] = "operator",
    data: hub_cli.DataOption = None,
) -> None:
    """Withdraw CLIENT's right on SERVICE; queued exchanges are refused at delivery."""
    ledger, rights = _rights(hub_cli.load_settings(data))
    try:
        right = rights.revoke(client, service, by=by, reason=reason)
    finally:
        ledger.close()
    hub_cli.out.print(f"revoked {right.client} on {right.service}", highlight=False)


@app.command("list")
def list_rights(
    data: hub_cli.DataOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
) -> None:
    """Every right ever granted, active or revoked."""
    ledger, rights = _rights(hub_cli.load_settings(data))
    try:
        found = rights.all()
    finally:
        ledger.close()
    if as_json:
        for right in found:
            print(json.dumps({"client": right.client, "service": right.service,
                              "purposes": right.purposes, "active": right.active}))
        return
    table = Table(title="access rights")
    for column in ("client", "service", "purposes", "state"):
        table.add_column(column)
    for right in found:
        table.add_row(right.client, right.service, ", ".join(right.purposes),
                      "active" if right.active else "revoked")
    hub_cli.out.print(table)
    hub_cli.out.print(f"{len(found)} rights")
