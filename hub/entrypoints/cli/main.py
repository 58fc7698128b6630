"""The ``interop-hub`` command line. Every command takes ``--data DIR``."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from contracts.errors import HubError
from hub.entrypoints.cli.common import (
    DataOption,
    load_settings,
    open_ledger,
    out,
    run_until_signalled,
)
from hub.entrypoints.cli.exchange_filters import (
    AsOfOption,
    ContractFilter,
    CorrelationFilter,
    DepartmentFilter,
    OutcomeFilter,
    ServiceFilter,
    SinceFilter,
    UntilFilter,
    exchange_query,
)
from hub.entrypoints.cli.optional_parts import simulation
from hub.logs import configure_logging
from hub.service_layer.exchanges.views import find_exchange, indexed_summaries, timeline

app = typer.Typer(
    name="interop-hub",
    help="Event-sourced interoperability hub for public administrations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
exchanges_app = typer.Typer(help="Inspect recorded exchanges.", no_args_is_help=True)
app.add_typer(exchanges_app, name="exchanges")
# --- sub-commands: one module per command group, registered here (one line each) ---
from hub.entrypoints.cli import projections as cli_projections  # noqa: E402, I001 - registered at the marker
app.command("replay")(cli_projections.replay)
app.command("metrics")(cli_projections.metrics)
from hub.entrypoints.cli import audit as cli_audit  # noqa: E402, I001 - registered at the marker
app.add_typer(cli_audit.app, name="audit")
from hub.entrypoints.cli.adapter import app as adapter_app  # noqa: E402, I001 - at the marker
app.add_typer(adapter_app, name="adapter")
from hub.entrypoints.cli import subject as cli_subject  # noqa: E402, I001 - registered at the marker
app.add_typer(cli_subject.app, name="subject")
from hub.entrypoints.cli import retention as cli_retention  # noqa: E402, I001 - registered at the marker
app.add_typer(cli_retention.app, name="retention")
from hub.entrypoints.cli import documents as cli_documents  # noqa: E402, I001 - registered at the marker
app.add_typer(cli_documents.app, name="documents")
from hub.entrypoints.cli import contracts as cli_contracts  # noqa: E402, I001 - registered at the marker
app.add_typer(cli_contracts.app, name="contracts")
from hub.entrypoints.cli import region as cli_region  # noqa: E402, I001 - registered at the marker
app.add_typer(cli_region.app, name="region")
from hub.entrypoints.cli import agreement as cli_agreement  # noqa: E402, I001 - registered at the marker
app.add_typer(cli_agreement.app, name="agreement")
from hub.entrypoints.cli import reconcile as cli_reconcile  # noqa: E402, I001 - registered at the marker
app.command("reconcile")(cli_reconcile.reconcile)
from hub.entrypoints.cli import serve as cli_serve  # noqa: E402, I001 - registered at the marker
app.command("serve")(cli_serve.serve)
from hub.entrypoints.cli import operator as cli_operator  # noqa: E402, I001 - registered at the marker
app.add_typer(cli_operator.app, name="operator")
from hub.entrypoints.cli import simulate as cli_simulate  # noqa: E402, I001 - registered at the marker
app.add_typer(cli_simulate.app, name="simulate")
from hub.entrypoints.cli import credentials as cli_credentials  # noqa: E402, I001 - registered at the marker
app.add_typer(cli_credentials.app, name="credentials")
# The legacy clients\' commands (wss-set, cert-bind) register themselves on credentials\' app.
from hub.entrypoints.cli import legacy_logins as cli_legacy_logins  # noqa: E402, F401, I001
from hub.entrypoints.cli import keys as cli_keys  # noqa: E402 - registered at the marker
app.add_typer(cli_keys.app, name="keys")
from hub.entrypoints.cli import access as cli_access  # noqa: E402, I001 - registered at the marker
app.add_typer(cli_access.app, name="access")
from hub.entrypoints.cli import consent as cli_consent  # noqa: E402, I001 - registered at the marker
app.add_typer(cli_consent.app, name="consent")
from hub.entrypoints.cli import dlq as cli_dlq  # noqa: E402, I001 - registered at the marker
app.add_typer(cli_dlq.app, name="dlq")
from hub.entrypoints.cli import provider_secret as cli_provider_secret  # noqa: E402, I001 - registered at the marker
app.add_typer(cli_provider_secret.app, name="provider-secret")
from hub.entrypoints.cli import backup as cli_backup  # noqa: E402, I001 - registered at the marker
app.add_typer(cli_backup.app, name="backup")
app.command("restore")(cli_backup.restore)
from hub.entrypoints.cli import alarms as cli_alarms  # noqa: E402, I001 - registered at the marker
app.add_typer(cli_alarms.app, name="alarms")
from hub.entrypoints.cli import cases as cli_cases  # noqa: E402, I001 - registered at the marker
app.add_typer(cli_cases.app, name="cases")

@app.command()
def demo(
    data: DataOption = None,
    keep_running: Annotated[
        bool,
        typer.Option(
            "--keep-running", help="Keep the hub and departments running after the scenario"
        ),
    ] = False,
    regions: Annotated[
        int,
        typer.Option(
            "--regions", min=1, max=5,
            help="Run N regions (north, south, east, west, centre; data in DIR/<region>) "
            "joined by NATS leaf nodes",
        ),
    ] = 1,
) -> None:
    """Start NATS, the hub and two departments; run a scripted scenario; print a summary."""
    settings = load_settings(data)
    configure_logging(
        settings.log_format, "warning" if settings.log_format == "auto" else settings.log_level
    )
    if regions > 1:  # region links (hub.adapters.peers): one hub per region, cross-region steps
        run_federation_demo = simulation("federation_demo", "run_federation_demo",
                                         command="demo --regions")
        raise typer.Exit(run_until_signalled(run_federation_demo(
            settings, regions=regions, keep_running=keep_running, console=out)))
    run_demo = simulation("demo", "run_demo", command="demo")
    raise typer.Exit(run_until_signalled(run_demo(settings, keep_running=keep_running,
                                                  console=out)))


@exchanges_app.command("list")
def exchanges_list(
    data: DataOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
    service: ServiceFilter = None,
    department: DepartmentFilter = None,
    contract: ContractFilter = None,
    outcome: OutcomeFilter = None,
    since: SinceFilter = None,
    until: UntilFilter = None,
    correlation_id: CorrelationFilter = None,
    as_of: AsOfOption = None,
) -> None:
    """List exchanges from the exchange index, oldest first (filters combine with AND)."""
    settings = load_settings(data)
    query = exchange_query(service, department, contract, outcome, since, until, correlation_id)
    view = cli_projections.open_read_view(settings, as_of)
    try:
        rows = indexed_summaries(view, query)
    finally:
        view.close()
    if as_json:
        for row in rows:
            record = {**vars(row), "id": str(row.id), "received_at": row.received_at.isoformat()}
            print(json.dumps(record))
        return
    where = f"as of {view.as_of.isoformat()} (historical view) in" if view.as_of else "in"
    table = Table(title=f"exchanges {where} {settings.data}")
    for column in ("id", "received (UTC)", "client", "service", "via", "status", "ms"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row.id)[:8],
            row.received_at.strftime("%Y-%m-%d %H:%M:%S"),
            row.client,
            row.service or "-",
            row.ingress,
            row.status,
            f"{row.latency_ms:.1f}" if row.latency_ms is not None else "-",
        )
    out.print(table)
    out.print(f"{len(rows)} exchanges")


@exchanges_app.command("show")
def exchanges_show(
    exchange_id: Annotated[str, typer.Argument(help="Exchange id or a unique prefix")],
    data: DataOption = None,
) -> None:
    """Print one exchange's events as a timeline."""
    settings = load_settings(data)
    ledger = open_ledger(settings)
    try:
        uid = find_exchange(ledger, exchange_id)
        entries = timeline(ledger, uid)
    except HubError as exc:
        out.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
    out.print(f"exchange {uid}")
    start = entries[0].at
    for entry in entries:
        offset = (entry.at - start).total_seconds() * 1000
        out.print(
            f"  {entry.at:%H:%M:%S.%f} +{offset:8.1f} ms  v{entry.version:<2} "
            f"[bold]{entry.event}[/bold]"
        )
        for key, value in entry.details.items():
            # One line per value, however long (an erased marker names its retention scope):
            # what a script parses must not be wrapped.
            out.print(f"      {key}: {json.dumps(value, default=str)}", highlight=False,
                      soft_wrap=True)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except HubError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
