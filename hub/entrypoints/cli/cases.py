"""``interop-hub cases ...``: check declared case types."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from contracts import default_registry
from hub.errors import RoutingError
from hub.service_layer.cases.case_type import Finding, read_case_type
from hub.service_layer.cases.checking import check_case_type
from hub.service_layer.exchanges.routing import ServiceDefinition, load_services

app = typer.Typer(help="One-stop cases: declared case types.", no_args_is_help=True)


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
