"""The committed renderings of every contract: JSON Schema and XSD, one pair per version.

Departments that do not speak Python build against these files, so they live in
the repository (``contracts/schemas/<name>@<MAJOR.MINOR>.schema.json`` and
``.xsd``) and ship as package data. They are generated, never edited by hand:
:func:`write_all` (``interop-hub contracts render``) rewrites them and
:func:`stale` tells which ones no longer match the models.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts.base import Contract, ContractId
from contracts.xsd import render_schema

SCHEMAS_DIR = Path(__file__).resolve().parent / "schemas"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
RENDER_COMMAND = "interop-hub contracts render"
_SUFFIXES = (".schema.json", ".xsd")


def contract_urn(cid: ContractId) -> str:
    """The ``$id`` of a contract's JSON Schema: ``urn:interop-hub:contract:<name>@<version>``."""
    return f"urn:interop-hub:contract:{cid}"


def json_schema_path(cid: ContractId, directory: Path = SCHEMAS_DIR) -> Path:
    """Where the JSON Schema of ``cid`` is committed."""
    return directory / f"{cid}.schema.json"


def xsd_path(cid: ContractId, directory: Path = SCHEMAS_DIR) -> Path:
    """Where the XSD of ``cid`` is committed."""
    return directory / f"{cid}.xsd"


def json_schema(model: type[Contract]) -> dict[str, Any]:
    """The JSON Schema (2020-12) of one contract, identified by its URN."""
    cid = model.contract_id()
    return {"$schema": JSON_SCHEMA_DIALECT, "$id": contract_urn(cid), **model.model_json_schema()}


def json_schema_text(model: type[Contract]) -> str:
    """:func:`json_schema` as stable text: pydantic's key order (fields in order), 2 spaces."""
    return json.dumps(json_schema(model), indent=2, ensure_ascii=False) + "\n"


def render_all(models: Iterable[type[Contract]], directory: Path = SCHEMAS_DIR) -> dict[Path, str]:
    """Every rendering of every model (a registry is iterable of models), by path."""
    renderings: dict[Path, str] = {}
    for model in models:
        cid = model.contract_id()
        renderings[json_schema_path(cid, directory)] = json_schema_text(model)
        # One self-contained schema per contract: the contract and the types it nests.
        renderings[xsd_path(cid, directory)] = render_schema([model])
    return renderings


def stale(models: Iterable[type[Contract]], directory: Path = SCHEMAS_DIR) -> list[Path]:
    """Renderings that are missing, out of date, or left over from no contract, sorted."""
    expected = render_all(models, directory)
    wrong = [
        path
        for path, text in expected.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]
    return sorted([*wrong, *_orphans(expected, directory)])


@dataclass
class RenderReport:
    """What :func:`write_all` did to the renderings directory."""

    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)


def write_all(models: Iterable[type[Contract]], directory: Path = SCHEMAS_DIR) -> RenderReport:
    """Bring ``directory`` up to date: rewrite what changed, remove orphaned renderings."""
    expected = render_all(models, directory)
    report = RenderReport()
    directory.mkdir(parents=True, exist_ok=True)
    for path, text in sorted(expected.items()):
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            report.unchanged.append(path)
        else:
            path.write_text(text, encoding="utf-8")
            report.written.append(path)
    for path in _orphans(expected, directory):
        path.unlink()
        report.removed.append(path)
    return report


def _orphans(expected: dict[Path, str], directory: Path) -> list[Path]:
    """Rendering-shaped files in ``directory`` that no registered contract produces."""
    if not directory.is_dir():
        return []
    return sorted(
        path
        for path in directory.iterdir()
        if path.is_file() and path.name.endswith(_SUFFIXES) and path not in expected
    )
