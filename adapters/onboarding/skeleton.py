"""Mapping skeletons: one TOML file per operation, every leaf listed, ready to be filled in.

The skeleton is valid TOML from the start. Its tables say where the mapping
comes from (``[source]``: WSDL, service, port, operation, soapAction), which
prefixes its paths use (``[namespaces]``) and which elements each direction
carries (``[input]``, ``[output]``). Under each direction every leaf is a
comment — ``# <XPath>  <XSD type>  [min..max]`` followed by ``# field = "..."`` —
for the integrator to uncomment and name the contract field. The declarative
mapping format (``adapters/mapping``) is what the filled file grows into.
"""

from __future__ import annotations

import json
from pathlib import Path

from adapters.onboarding.errors import OnboardingError
from adapters.onboarding.scaffold import MessageShape, OperationShape, PartShape, WsdlScaffold
from contracts.errors import FieldIssue

_HEADER = """\
# Mapping skeleton for operation {operation}, written by `interop-hub adapter scaffold`.
# Every element and attribute of the operation's messages is listed as a comment:
#   <XPath>  <XSD type>  [min..max]
# Under each one you need, uncomment `field = "..."` and name the contract field it maps
# onto; leave the rest commented. Paths use the prefixes declared in [namespaces].
"""


def render_skeleton(scaffold: WsdlScaffold, shape: OperationShape) -> str:
    """The TOML skeleton of one operation."""
    port, operation = shape.port, shape.operation
    lines = [_HEADER.format(operation=operation.name)]
    lines += [f"# WARNING: {w}" for w in scaffold.warnings]
    lines += ["", "[source]"]
    lines += _pairs(
        wsdl=str(scaffold.wsdl),
        service=port.service,
        port=port.name,
        binding=port.binding,
        operation=operation.name,
        soap_action=operation.soap_action,
        soap_version=port.soap_version,
        style=operation.style,
        address=port.address,
        documentation=operation.documentation,
    )
    lines += ["", "[namespaces]"]
    lines += [f"{prefix} = {_str(ns)}" for prefix, ns in scaffold.namespaces.items()]
    for name, message in (("input", shape.input), ("output", shape.output)):
        lines += _direction(name, message)
    return "\n".join(lines) + "\n"


def _direction(name: str, message: MessageShape | None) -> list[str]:
    lines = ["", f"[{name}]"]
    if message is None:
        return [*lines, "# (this operation has no " + name + " message)"]
    lines += _pairs(message=message.message)
    lines.append(f"body = {_list(p.root for p in message.body)}")
    lines.append(f"headers = {_list(p.root for p in message.headers)}")
    lines.append(f"unresolved = {_list(message.unresolved)}")
    for kind, parts in (("body", message.body), ("header", message.headers)):
        for part in parts:
            lines += _part(kind, part)
    return lines


def _part(kind: str, part: PartShape) -> list[str]:
    lines = ["", f"# --- {kind} part {part.part!r}: {part.root}"]
    if part.unresolved:
        return [*lines, f"# /{part.root}  UNRESOLVED: {part.unresolved}"]
    for leaf in part.leaves:
        notes = f"  -- {'; '.join(leaf.notes)}" if leaf.notes else ""
        lines.append(f"# {leaf.path}  {leaf.type}  {leaf.occurs}{notes}")
        if leaf.mappable:
            lines.append('# field = "..."')
    return lines


def write_skeletons(scaffold: WsdlScaffold, out: Path, *, force: bool = False) -> list[Path]:
    """Write one skeleton per operation into ``out``; existing files are kept unless ``force``.

    A filled-in mapping is work: refusing to overwrite it is the safe default.
    """
    targets = [(out / shape.filename, shape) for shape in scaffold.operations]
    existing = [str(path) for path, _ in targets if path.exists()]
    if existing and not force:
        reason = "already exists (pass --force to overwrite)"
        raise OnboardingError(
            f"{existing[0]} {reason}",
            issues=tuple(FieldIssue(path=p, reason=reason, code="exists") for p in existing),
        )
    out.mkdir(parents=True, exist_ok=True)
    for path, shape in targets:
        path.write_text(render_skeleton(scaffold, shape), encoding="utf-8")
    return [path for path, _ in targets]


def _pairs(**values: str) -> list[str]:
    return [f"{key} = {_str(value)}" for key, value in values.items()]


def _str(value: str) -> str:
    # A JSON string is a valid TOML basic string (same escapes, \\uXXXX included).
    return json.dumps(value, ensure_ascii=False)


def _list(values: object) -> str:
    return "[" + ", ".join(_str(v) for v in values) + "]"  # type: ignore[attr-defined]
