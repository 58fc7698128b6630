"""``interop-hub alarms``: the access anomalies the access watch raised, and their evidence.

``list`` shows one line per anomaly (kind, who, service, count against threshold,
action); ``show ID`` the whole evidence, its sample of subject references or
exchange ids included. A credential an anomaly suspended is resumed with
``interop-hub credentials resume ID --reason ...``. The anomalies are events in
the ledger (``AccessAnomalyRaised``), so these commands read the store, and work
while the hub runs.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from hub.adapters.store.ledger import Ledger
from hub.bootstrap.privacy import build_ledger
from hub.domain.access_anomaly import KINDS, AccessAnomaly
from hub.domain.credential_errors import SecurityError
from hub.entrypoints.cli import common as hub_cli
from hub.service_layer.security.anomalies import AccessAnomalies
from hub.service_layer.security.credentials import CredentialService

app = typer.Typer(help="Alarms on unusual access (the access watch).", no_args_is_help=True)


def _view(anomaly: AccessAnomaly) -> dict[str, object]:
    return {
        "id": anomaly.id.hex, "raised_at": anomaly.raised_at.isoformat(), "kind": anomaly.kind,
        "credential": anomaly.credential, "department": anomaly.department,
        "service": anomaly.service, "subject": anomaly.subject,
        "window_start": anomaly.window_start, "window_end": anomaly.window_end,
        "count": anomaly.count, "threshold": anomaly.threshold, "sample": anomaly.sample,
        "detail": anomaly.detail, "action": anomaly.action, "detected_by": anomaly.detected_by,
    }


@app.command("list")
def list_(
    data: hub_cli.DataOption = None,
    kind: Annotated[str | None, typer.Option("--kind", help=f"One of {', '.join(KINDS)}")] = None,
    credential: Annotated[str | None, typer.Option("--credential", help="A credential id")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
) -> None:
    """Every access anomaly raised in this region, oldest first."""
    if kind is not None and kind not in KINDS:
        hub_cli.out.print(f"[red]--kind {kind!r}: choose one of {', '.join(KINDS)}[/red]")
        raise typer.Exit(2)
    settings = hub_cli.load_settings(data)
    ledger = build_ledger(settings)
    try:
        anomalies = _anomalies(ledger, settings.region).list(kind=kind, credential=credential)
    finally:
        ledger.close()
    if as_json:
        for anomaly in anomalies:
            print(json.dumps(_view(anomaly)), flush=True)
        return
    table = Table(title=f"access anomalies in {settings.data}")
    for column in ("id", "raised (UTC)", "kind", "credential / department", "service",
                   "count/threshold", "action"):
        table.add_column(column, overflow="fold")  # ids whole: `show` and `resume` take them
    for a in anomalies:
        table.add_row(a.id.hex, a.raised_at.isoformat()[:19], a.kind,
                      a.credential or a.department, a.service or "-",
                      f"{a.count}/{a.threshold}", a.action)
    hub_cli.out.print(table)
    hub_cli.out.print(f"{len(anomalies)} anomalies")


@app.command("show")
def show(
    anomaly_id: Annotated[str, typer.Argument(help="Anomaly id (as `alarms list` shows)")],
    data: hub_cli.DataOption = None,
) -> None:
    """One anomaly's whole evidence, as JSON."""
    settings = hub_cli.load_settings(data)
    ledger = build_ledger(settings)
    try:
        anomaly = _anomalies(ledger, settings.region).get(anomaly_id)
    except SecurityError as exc:
        hub_cli.out.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
    finally:
        ledger.close()
    print(json.dumps(_view(anomaly), indent=2), flush=True)


def _anomalies(ledger: Ledger, region: str) -> AccessAnomalies:
    return AccessAnomalies(ledger, CredentialService(ledger, region), region)
