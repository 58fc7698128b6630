"""``interop-hub dlq``: inspect dead-lettered exchanges and replay them
(hub.service_layer.exchanges.dead_letters).

``list`` and ``show`` read the ledger only, so they work with the hub stopped;
``requeue`` records a ``Requeued`` event, which the outbox relay publishes again
(at once if the hub runs, else when it starts).
"""

from __future__ import annotations

import getpass
import json
from typing import Annotated

import typer
from rich.table import Table

from contracts.errors import HubError
from hub.entrypoints.cli import common as hub_cli
from hub.service_layer.exchanges.dead_letter_views import dead_letter_of, dead_letters, requeue

app = typer.Typer(help="Dead letters: list, show, requeue.", no_args_is_help=True)

from hub.service_layer.exchanges.views import find_exchange, timeline  # noqa: E402

IdArgument = Annotated[str, typer.Argument(help="Exchange id or a unique prefix")]


@app.command("list")
def list_letters(
    data: hub_cli.DataOption = None,
    include_requeued: Annotated[
        bool, typer.Option("--all", help="Also those requeued since they were dead-lettered")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
) -> None:
    """Dead-lettered exchanges, oldest first, with the reason each was given up."""
    settings = hub_cli.load_settings(data)
    ledger = hub_cli.open_ledger(settings)
    try:
        entries = dead_letters(ledger, include_requeued=include_requeued)
    finally:
        ledger.close()
    if as_json:
        for entry in entries:
            print(json.dumps({**vars(entry), "id": str(entry.id), "at": entry.at.isoformat()}))
        return
    table = Table(title=f"dead letters in {settings.data}")
    for column in ("id", "dead-lettered (UTC)", "service", "attempts", "code", "status"):
        table.add_column(column)
    for entry in entries:
        table.add_row(str(entry.id)[:8], entry.at.strftime("%Y-%m-%d %H:%M:%S"), entry.service,
                      str(entry.attempts), entry.code, entry.status)
    hub_cli.out.print(table)
    hub_cli.out.print(f"{len(entries)} dead letters")


@app.command("show")
def show(exchange_id: IdArgument, data: hub_cli.DataOption = None) -> None:
    """One dead letter: why it was given up, and the exchange's events."""
    settings = hub_cli.load_settings(data)
    ledger = hub_cli.open_ledger(settings)
    try:
        uid = find_exchange(ledger, exchange_id)
        entry = dead_letter_of(ledger, uid)
        entries = timeline(ledger, uid)
    except HubError as exc:
        hub_cli.out.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
    finally:
        ledger.close()
    out = hub_cli.out
    if entry is None:
        out.print(f"[red]exchange {uid} was never dead-lettered[/red]")
        raise typer.Exit(1)
    out.print(f"dead letter {uid}", highlight=False)
    for label, value in (
        ("service", entry.service), ("client", entry.client),
        ("correlation id", entry.correlation_id), ("attempts", entry.attempts),
        ("code", entry.code), ("reason", entry.message),
        ("dead-lettered", f"{entry.at:%Y-%m-%d %H:%M:%S} UTC"), ("status now", entry.status),
        ("requeued", f"{entry.requeues} time(s)"),
    ):
        out.print(f"  {label}: {value}", highlight=False)
    out.print("  events:")
    for item in entries:
        out.print(f"    v{item.version:<2} {item.event}", highlight=False)


@app.command("requeue")
def requeue_letter(
    exchange_id: IdArgument,
    data: hub_cli.DataOption = None,
    reason: Annotated[str, typer.Option("--reason", help="Why it is replayed (recorded)")] = (
        "operator requeue"
    ),
    by: Annotated[
        str | None, typer.Option("--by", help="Who requeues (recorded; default: the login name)")
    ] = None,
) -> None:
    """Put a dead-lettered exchange back to be delivered again (records ``Requeued``)."""
    settings = hub_cli.load_settings(data)
    ledger = hub_cli.open_ledger(settings)
    operator = by or getpass.getuser()
    try:
        uid = find_exchange(ledger, exchange_id)
        exchange = requeue(ledger, uid, by=operator, reason=reason)
    except HubError as exc:
        hub_cli.out.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
    finally:
        ledger.close()
    hub_cli.out.print(
        f"requeued {uid} (version {exchange.version}) by {operator}: the relay publishes it "
        "again now if the hub runs, else when it starts", highlight=False)
