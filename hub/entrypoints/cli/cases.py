"""``interop-hub cases ...``: check declared case types."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

from contracts import default_registry
from hub.adapters.readmodels.cases import CaseBoard, CaseRow
from hub.entrypoints.cli.cases_submit import submit
from hub.entrypoints.cli.common import DataOption, load_settings, open_ledger
from hub.errors import RoutingError
from hub.service_layer.cases.case_type import Finding, read_case_type
from hub.service_layer.cases.checking import check_case_type
from hub.service_layer.exchanges.routing import ServiceDefinition, load_services

app = typer.Typer(help="One-stop cases: check case types, submit, list and show cases.",
                  no_args_is_help=True)
app.command("submit")(submit)


@app.command("check")
def check(
    case_type_file: Annotated[Path, typer.Argument(help="The case-type file (TOML) to check")],
    services: Annotated[
        list[Path],
        typer.Option("--services", help="A services file whose services steps may run as "
                     "(repeat for several regions)"),
    ],
) -> None:
    """Check a case type against the contracts, the services files and the calendars.

    Every problem names the file, the step and the key. Exit 0 when clean, 1 with problems.
    """
    registry = default_registry()
    declared: list[ServiceDefinition] = []
    findings: list[Finding] = []
    for path in services:
        try:
            declared += load_services(path, registry)
        except (OSError, RoutingError) as exc:
            findings.append(Finding(str(path), "", "", f"cannot read services: {exc}"))
    case_type, problems = read_case_type(case_type_file)
    findings += problems
    if case_type is not None:
        findings += check_case_type(case_type, registry, declared)
        typer.echo(f"case type {case_type.id}: {case_type.title} "
                   f"({len(case_type.steps)} steps, {case_type.time_limit})")
    for finding in findings:
        typer.echo(f"  error {finding}")
    if findings:
        typer.echo(f"{len(findings)} problem(s)")
        raise typer.Exit(1)
    typer.echo("ok: no problems")


@app.command("list")
def list_(data: DataOption = None) -> None:
    """Every case in the region's ledger, oldest first: type, status, due, open steps."""
    for row in _rows(data):
        waiting = [s.name for s in row.steps if s.holder]
        typer.echo(f"{row.id}  {row.case_type}  {row.status}  submitted "
                   f"{row.submitted_at.isoformat()}  due {row.due_at.isoformat()}"
                   f"  awaiting {', '.join(waiting) or '-'}")


@app.command("show")
def show(case_id: Annotated[str, typer.Argument(help="The case's id")],
         data: DataOption = None) -> None:
    """One case and each of its steps: state, holder, since, due (no personal data)."""
    try:
        wanted = UUID(case_id)
    except ValueError:
        typer.echo(f"error: {case_id!r} is not a case id (a UUID)", err=True)
        raise typer.Exit(2) from None
    row = next((r for r in _rows(data) if r.id == wanted), None)
    if row is None:
        typer.echo(f"error: no case {case_id}", err=True)
        raise typer.Exit(1)
    closed = f", closed {row.closed_at.isoformat()}" if row.closed_at else ""
    typer.echo(f"case {row.id} ({row.case_type}) {row.status}{closed}")
    typer.echo(f"  submitted {row.submitted_at.isoformat()} by {row.applicant}, "
               f"due {row.due_at.isoformat()}")
    if row.reason:
        typer.echo(f"  reason: {row.reason}")
    for step in row.steps:
        due = step.due_at.isoformat() if step.due_at else "-"
        since = step.since.isoformat() if step.since else "-"
        flags = " OVERDUE" if step.overdue else ""
        typer.echo(f"  {step.name:<28} {step.state:<24} holder {step.holder or '-':<22} "
                   f"since {since}  due {due}{flags}")
        if step.recognition:
            seen = step.recognition
            typer.echo(f"    recognition: {seen['outcome']} {seen['issuer']}'s record "
                       f"{seen['record_id']} (the answer of {seen['of']})")
        if step.reason:
            typer.echo(f"    reason: {step.reason}")


def _rows(data: Path | None) -> list[CaseRow]:
    ledger = open_ledger(load_settings(data))
    try:
        return CaseBoard(ledger).cases()
    finally:
        ledger.close()
