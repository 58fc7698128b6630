"""``interop-hub adapter ...``: onboard a department from its WSDL, check its mappings.

A thin command layer: the work is done by :mod:`translation.onboarding`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from contracts.errors import HubError
from hub.settings import HubSettings
from translation.onboarding import (
    OnboardingError,
    ScaffoldOptions,
    WsdlScaffold,
    describe_wsdl,
    write_skeletons,
)
from translation.onboarding.report import report_document, write_report
from translation.onboarding.scaffold import MessageShape

app = typer.Typer(help="Onboard and check department adapters.", no_args_is_help=True)


@app.command("scaffold")
def scaffold(
    wsdl: Annotated[str, typer.Option("--wsdl", help="The department's WSDL (a local file)")],
    catalog: Annotated[
        Path | None,
        typer.Option(
            "--catalog",
            help="OASIS XML catalog mapping imported URLs to local copies (default: $HUB_CATALOG)",
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for the mapping skeletons")] = Path(
        "mappings"
    ),
    lenient: Annotated[
        bool,
        typer.Option(
            "--lenient",
            help="Accept references that differ only in letter case and schemas that omit an "
            "xs:import (each one reported)",
        ),
    ] = False,
    allow_unresolved: Annotated[
        bool,
        typer.Option(
            "--allow-unresolved",
            help="Scaffold what resolves when an import is not in the catalog",
        ),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite skeletons that already exist")
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Write every tolerated fault, unresolved import and skipped construct as JSON",
        ),
    ] = None,
) -> None:
    """List a WSDL's services, ports and operations; write one mapping skeleton per operation.

    Each skeleton is a mapping file with placeholders: fill it in, then run
    `adapter check` on it. Works offline: relative imports are read from disk, imports by URL only
    through the XML catalog; nothing is fetched from the network.
    """
    options = ScaffoldOptions(
        catalog=catalog or HubSettings().catalog,
        lenient=lenient,
        allow_unresolved=allow_unresolved,
    )
    try:
        described = describe_wsdl(wsdl, options)
        written = write_skeletons(described, out, force=force)
    except OnboardingError as exc:
        _fail(exc)
    _print(described, {p.name for p in written}, out)
    if report is not None:
        document = report_document(described.wsdl, described.tolerated, len(described.operations))
        try:
            write_report(report, document)
        except OnboardingError as exc:
            _fail(exc)
        typer.echo(f"report: {len(described.tolerated)} tolerated fault(s) written to {report}")
    typer.echo(f"wrote {len(written)} mapping skeleton(s) to {out}")
    typer.echo("next: fill one in (its header says how), then: interop-hub adapter check FILE")


def _print(described: WsdlScaffold, written: set[str], out: Path) -> None:
    typer.echo(f"WSDL {described.wsdl} (target namespace {described.target_namespace})")
    typer.echo(f"read {len(described.sources)} file(s), nothing from the network:")
    for source in described.sources:
        typer.echo(f"  {source}")
    for port in described.ports:
        typer.echo(f"service {port.service}")
        typer.echo(
            f"  port {port.name}  SOAP {port.soap_version}  binding {port.binding}"
            f"  {port.address or '(no address)'}"
        )
        for shape in described.operations:
            if shape.port is not port:
                continue
            typer.echo(
                f"    operation {shape.operation.name}  in {_summary(shape.input)}"
                f"  out {_summary(shape.output)}"
            )
            if shape.filename in written:
                typer.echo(f"      -> {out / shape.filename}")
    for warning in described.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if described.tolerated:
        typer.echo(
            f"tolerated {len(described.tolerated)} fault(s) (--report FILE.json lists them)",
            err=True,
        )


def _summary(message: MessageShape | None) -> str:
    if message is None:
        return "-"
    body = ", ".join(p.root for p in message.body) or "(empty body)"
    extra = f" (+{len(message.headers)} headers)" if message.headers else ""
    missing = f" [{len(message.unresolved)} unresolved]" if message.unresolved else ""
    return f"{body}{extra}{missing}"


def _fail(exc: HubError) -> NoReturn:
    typer.echo(f"error [{exc.code}]: {exc.message}", err=True)
    if len(exc.issues) > 1:
        for issue in exc.issues:
            typer.echo(f"  - {issue.path}: {issue.reason}", err=True)
    raise typer.Exit(2)


@app.command("check")
def check(
    mapping: Annotated[Path, typer.Argument(help="The mapping file (TOML) to check")],
    wsdl: Annotated[
        Path | None,
        typer.Option("--wsdl", help="Check against this WSDL instead of the one the mapping names"),
    ] = None,
    catalog: Annotated[
        Path | None,
        typer.Option(
            "--catalog",
            help="OASIS XML catalog mapping imported URLs to local copies (default: $HUB_CATALOG)",
        ),
    ] = None,
) -> None:
    """Check a filled mapping against the native schema and the contracts.

    Reports unknown source paths, type mismatches, unmapped required contract
    fields, required legacy elements that encoding never writes, and lossy
    transforms (which must be declared). Exit 0 when clean, 1 with problems.
    """
    from translation.mapping import compile_mapping

    compiled, report = compile_mapping(
        mapping, wsdl=wsdl, catalog=catalog or HubSettings().catalog
    )
    typer.echo(f"mapping {mapping}")
    if compiled is not None:
        spec = compiled.spec
        typer.echo(
            f"  service {spec.service} ({spec.native}): "
            f"{spec.request_contract} -> {spec.response_contract}"
        )
    for finding in report.findings:
        label = {"error": "error", "lossy": "lossy", "note": "note "}[finding.level]
        code = f" [{finding.code}]" if finding.level == "error" else ""
        typer.echo(f"  {label}{code} {finding.key}: {finding.message}")
    errors, lossy = len(report.errors), len(report.of("lossy"))
    if errors:
        typer.echo(f"{errors} problem(s)")
        raise typer.Exit(1)
    typer.echo(f"ok: no problems ({lossy} lossy transform(s) declared)")
