"""``interop-hub contracts``: list, show, check and render the shipped contracts."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from contracts import ContractRegistry, default_registry
from contracts.base import Contract, ContractIdError
from contracts.compatibility import check_versions, minor_steps, type_name
from contracts.registry import UnknownContractError
from contracts.renderings import (
    RENDER_COMMAND,
    SCHEMAS_DIR,
    json_schema_path,
    stale,
    write_all,
    xsd_path,
)
from contracts.xsd import FieldShape, element_name, field_shapes

app = typer.Typer(help="Inspect, check and render the shared contracts.", no_args_is_help=True)

DirOption = Annotated[
    Path, typer.Option("--dir", help="Where the renderings live", show_default=False)
]


def _console() -> Console:
    """The CLI's one console, imported late: ``cli`` imports this module while it loads."""
    from hub.entrypoints.cli.common import out

    return out


def _say(text: str) -> None:
    """One line, never wrapped, so each problem or path stays greppable on one line."""
    _console().print(text, highlight=False, soft_wrap=True)


def load_registry() -> ContractRegistry:
    """The registry these commands inspect: every contract this distribution ships."""
    return default_registry()


@app.command("list")
def contracts_list() -> None:
    """List every contract version: identity, title, field count, upcasters."""
    registry = load_registry()
    table = Table(title="contracts")
    table.add_column("contract", no_wrap=True)
    for column in ("title", "fields", "upcasters"):
        table.add_column(column)
    for model in registry:
        table.add_row(
            str(model.contract_id()),
            _title(model),
            str(len(model.model_fields)),
            ", ".join(_upcaster_notes(registry, model, brief=True)) or "-",
        )
    _console().print(table)
    _say(f"{len(registry)} contracts, {len(registry.upcasters())} upcasters")


@app.command("show")
def contracts_show(
    contract: Annotated[str, typer.Argument(help="A contract identity, e.g. person.identity@1.1")],
) -> None:
    """Print one contract's fields (type, required, constraints) and where its schemas are."""
    registry = load_registry()
    try:
        model = registry.get(contract)
    except (ContractIdError, UnknownContractError) as exc:
        raise typer.BadParameter(str(exc), param_hint="CONTRACT") from None
    cid = model.contract_id()
    _say(f"[bold]{cid}[/bold]  {escape(_title(model))}")
    _say(f"  model:       {model.__module__}.{model.__qualname__}")
    _say(f"  XML element: {element_name(model)}")
    _say(f"  JSON Schema: {_shown(json_schema_path(cid))}")
    _say(f"  XSD:         {_shown(xsd_path(cid))}")
    for note in _upcaster_notes(registry, model):
        _say(f"  upcaster:    {note}")
    table = Table(title=f"fields of {cid}")
    for column in ("field", "type", "required", "constraints", "description"):
        table.add_column(column)
    for shape in field_shapes(model):
        table.add_row(
            shape.name,
            escape(type_name(shape)),
            "optional" if shape.optional else "required",
            escape(_constraints(shape)),
            escape(shape.description or ""),
        )
    _console().print(table)


@app.command("check")
def contracts_check() -> None:
    """Check that every minor version reads every document of the previous minor."""
    registry = load_registry()
    problems = check_versions(registry)
    steps = minor_steps(registry)
    for previous, current in steps:
        cid = current.contract_id()
        mine = [p for p in problems if p.contract == cid]
        verdict = f"[red]{len(mine)} problem(s)[/red]" if mine else "[green]compatible[/green]"
        _say(f"{previous.contract_id()} → {cid.major}.{cid.minor}: {verdict}")
        for problem in mine:
            _say(f"  {escape(str(problem))}")
    _say(f"{len(registry)} contracts, {len(steps)} minor step(s) checked")
    if problems:
        _say(f"[red]{len(problems)} compatibility problem(s)[/red]")
        raise typer.Exit(1)
    _say("every minor version is backward compatible")


@app.command("render")
def contracts_render(
    directory: DirOption = SCHEMAS_DIR,
    check_only: Annotated[
        bool, typer.Option("--check", help="Only report stale renderings; exit 1 if any")
    ] = False,
) -> None:
    """Write each contract's JSON Schema and XSD; remove renderings of no contract."""
    registry = load_registry()
    if check_only:
        outdated = stale(registry, directory)
        for path in outdated:
            _say(f"stale: {_shown(path)}")
        if outdated:
            _say(f"[red]{len(outdated)} stale rendering(s)[/red]; run `{RENDER_COMMAND}`")
            raise typer.Exit(1)
        _say(f"renderings in {_shown(directory)} are up to date")
        return
    report = write_all(registry, directory)
    for path in report.written:
        _say(f"wrote   {_shown(path)}")
    for path in report.removed:
        _say(f"removed {_shown(path)}")
    _say(
        f"{len(report.written)} written, {len(report.removed)} removed, "
        f"{len(report.unchanged)} unchanged in {_shown(directory)}"
    )


def _title(model: type[Contract]) -> str:
    doc = (model.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else model.__name__


def _upcaster_notes(
    registry: ContractRegistry, model: type[Contract], *, brief: bool = False
) -> list[str]:
    """``from 1.0`` / ``to 2.0`` (brief), else with full identities and the function name."""
    cid = model.contract_id()
    notes = []
    for upcaster in registry.upcasters():
        for direction, end, other in (
            ("from", upcaster.target, upcaster.source),
            ("to", upcaster.source, upcaster.target),
        ):
            if end == cid:
                version = f"{other.major}.{other.minor}" if brief else f"{other} ({upcaster.name})"
                notes.append(f"{direction} {version}")
    return notes


def _constraints(shape: FieldShape) -> str:
    """Constraints in words; patterns shown anchored, as pydantic and JSON Schema apply them."""
    parts = [
        f"{key}=^{value}$" if key == "pattern" else f"{key}={value}"
        for key, value in shape.constraints.items()
    ]
    if shape.repeated:
        most = "∞" if shape.max_items is None else str(shape.max_items)
        parts.insert(0, f"items {shape.min_items}..{most}")
    if issubclass(shape.kind, Enum):
        parts.append("one of " + ", ".join(str(member.value) for member in shape.kind))
    return ", ".join(parts)


def _shown(path: Path) -> str:
    """A path relative to the working directory when it is below it, else absolute."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
