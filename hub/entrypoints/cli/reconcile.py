"""``interop-hub reconcile``: what two regions believe happened, compared (and repaired).

    interop-hub reconcile --data DIR/north --peer-data DIR/south [--grace S] [--json] [--repair]
    interop-hub reconcile --data DIR/north --peer south [--grace S] [--json] [--repair]

With ``--peer`` the peer's running hub is asked for its history over the
region links (:mod:`hub.service_layer.federation.reconciliation.online`), and ``--repair`` re-sends
through the running hubs; a peer that does not answer is exit code 2.

Prints a table per category found (missing, duplicated, divergent, pending) and
a last line ``reconcile north↔south: N missing, N duplicated, N divergent, N
pending``. ``--repair`` re-sends what is missing (idempotently) between the two
folders, then compares again and reports that.

Exit codes: 0 the regions agree; 1 something is missing, duplicated or
divergent; 3 only pending items (within the grace period: run again later);
2 the command could not run. The logic is :mod:`hub.service_layer.federation.reconciliation`.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from hub.bootstrap.federation import peer_settings
from hub.bootstrap.reconciliation import reconcile_folders
from hub.entrypoints.cli import common as cli
from hub.entrypoints.cli.federation import EXIT_CANNOT_RUN, plain, reported, settings_for
from hub.service_layer.federation.reconciliation.compare import DEFAULT_GRACE
from hub.service_layer.federation.reconciliation.offline import Reconciliation
from hub.service_layer.federation.reconciliation.online import reconcile_online
from hub.service_layer.federation.reconciliation.repair import PRESENT, RepairAction
from hub.service_layer.federation.reconciliation.report import Category, Report


def reconcile(
    data: cli.DataOption = None,
    peer_data: Annotated[Path | None, typer.Option(
        "--peer-data", help="The peer region's data folder (offline reconciliation)")] = None,
    peer_store: Annotated[str | None, typer.Option(
        "--peer-store", help="The peer's event store URL, if not SQLite in its folder")] = None,
    peer: Annotated[str | None, typer.Option(
        "--peer", help="Reconcile online with this peer region (needs the regions' links)")]
    = None,
    grace: Annotated[float, typer.Option(
        "--grace", min=0, help="Seconds an unanswered statement or query counts as pending, "
                               "not missing")] = DEFAULT_GRACE.total_seconds(),
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    repair: Annotated[bool, typer.Option(
        "--repair", help="Re-send what is missing (idempotent), then compare again")] = False,
) -> None:
    """Compare two regions' histories: what is missing, duplicated, divergent or pending.

    Exit code 0 when they agree, 1 when anything is missing, duplicated or divergent,
    3 when only pending items remain (run again after --grace), 2 when it could not run.
    """
    settings = settings_for(data)
    if (peer_data is None) == (peer is None):
        plain("error: give either --peer REGION (online) or --peer-data DIR (offline)")
        raise typer.Exit(EXIT_CANNOT_RUN)
    with reported():
        if peer is not None:
            result = reconcile_online(settings, peer, grace=dt.timedelta(seconds=grace),
                                      repair=repair)
        else:
            assert peer_data is not None
            result = reconcile_folders(settings, peer_settings(settings, peer_data, peer_store),
                                       grace=dt.timedelta(seconds=grace), repair=repair)
    if as_json:
        print(json.dumps(_as_json(result), indent=2))
    else:
        _print(result)
    raise typer.Exit(result.final.exit_code)


def _as_json(result: Reconciliation) -> dict[str, Any]:
    document = result.final.as_json()
    if result.after is not None:
        document["before"] = result.report.as_json()
        document["repair"] = [{"action": r.step.action, "statement": r.step.statement,
                               "issuer": r.step.issuer, "receiver": r.step.receiver,
                               "record_id": r.step.record_id, "outcome": r.outcome,
                               "error": r.error} for r in result.results]
    return document


def _print(result: Reconciliation) -> None:
    if result.after is not None:
        _print_report(result.report)
        plain(result.report.summary())
        plain(f"repair: {len(result.steps)} steps")
        for r in result.results:
            plain(f"  {_describe(r.step)} " + (f"→ {r.outcome}" if r.ok else f"FAILED: {r.error}"))
        plain("after the repair:")
    _print_report(result.final)
    plain(result.final.summary())


def _describe(step: RepairAction) -> str:
    what = f"{step.issuer}'s {step.statement} of record {step.record_id}"
    if step.action == PRESENT:
        return f"present {what} to {step.receiver}"
    return f"record {step.receiver}'s receipt for {what} on {step.issuer}"


def _print_report(report: Report) -> None:
    for category in Category:
        findings = report.of(category)
        if not findings:
            continue
        table = Table(title=f"{category.value} ({len(findings)})", title_justify="left")
        for column in ("kind", "key", "has it", "other", "detail"):
            table.add_column(column, overflow="fold")
        for f in findings:
            table.add_row(f.kind, f.key, f.holder, f.other, f.detail)
        cli.out.print(table)
