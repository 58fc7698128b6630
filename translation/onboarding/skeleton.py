"""Mapping skeletons: per operation, a mapping file (:mod:`translation.mapping.spec`) to fill in.

A skeleton is valid TOML and already has the mapping format's shape:
``[mapping]`` (``<...>`` placeholders for the department service and the
contracts, ``native = "soap"``), ``[soap]`` (the WSDL relative to the skeleton,
service, port, operation, catalog; ``[soap.xroad]`` when the binding sends
X-Road 4.0 headers), ``[namespaces]``, and per direction the section's element
with one commented line per leaf, its path written as the mapping engine reads
it — relative to the section's element (or list item), with prefixes — and
annotated with XSD type and cardinality::

    # contract_field = "tns:data"    # xs:string [1..1]

Repeated elements get a ``[[...list]]`` block whose ``each`` names them. What a
mapping cannot map (SOAP headers, recursive or empty elements) is listed in
comments, and what the scaffold could not resolve is marked ``UNRESOLVED``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from contracts.errors import FieldIssue
from translation.onboarding.errors import OnboardingError, UnwritableOutput
from translation.onboarding.leaves import Leaf
from translation.onboarding.rpc import is_encoded
from translation.onboarding.scaffold import MessageShape, OperationShape, PartShape, WsdlScaffold
from translation.onboarding.wsdl import Operation
from translation.xroad_headers import XROAD_NS

PLACEHOLDER_FIELD = "contract_field"
_RULE = "# " + "-" * 64

_HEADER = """\
# Mapping skeleton for operation {operation}, written by `interop-hub adapter scaffold`.
# It is a mapping file (format: translation/mapping/spec.py) waiting to be filled in:
#   1. replace every "<...>" placeholder: the department service and the contracts in
#      [mapping] (and the X-Road identifiers in [soap.xroad], when there is one);
#   2. under [request.fields], [response.fields] and each [[...list]] block, uncomment the
#      lines you need and replace {field} with the contract field the path maps onto
#      (a transform is an inline table: {{ path = "tns:x", date = "%d.%m.%Y" }}); name each
#      list block's contract list in `field`, or delete the block;
#   3. check it: interop-hub adapter check <this file>
# Paths are relative to their section's element (or list item) and use [namespaces].
"""


def render_skeleton(scaffold: WsdlScaffold, shape: OperationShape, base: Path | None = None) -> str:
    """The skeleton of one operation; file paths in it are relative to the folder ``base``."""
    port, operation = shape.port, shape.operation
    lines = [_HEADER.format(operation=operation.name, field=PLACEHOLDER_FIELD)]
    lines += [
        f"# WSDL service {port.service}, port {port.name} (SOAP {port.soap_version}), "
        f"binding {port.binding}",
        f"# operation {operation.name}: style {operation.style}, "
        f"soapAction {_str(operation.soap_action)}",
        *_encoded_note(operation),
        f"# address in the WSDL: {port.address or '(none)'}",
        "#   (the hub calls the endpoint its services.toml names, not this one)",
    ]
    lines += [f"# WARNING: {w}" for w in scaffold.warnings]
    lines += ["", "[mapping]"]
    lines += _pairs(
        service="<department/service>",
        request="<request contract name@MAJOR.MINOR>",
        response="<response contract name@MAJOR.MINOR>",
        native="soap",
    )
    if operation.documentation:
        lines += _pairs(description=operation.documentation)
    lines += _soap(scaffold, shape, base)
    lines += ["", "[namespaces]"]
    lines += [f"{prefix} = {_str(ns)}" for prefix, ns in scaffold.namespaces.items()]
    for name, direction, message in (
        ("request", "input", shape.input),
        ("response", "output", shape.output),
    ):
        lines += _section(name, direction, message)
    return "\n".join(lines) + "\n"


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
    try:
        out.mkdir(parents=True, exist_ok=True)
        for path, shape in targets:
            path.write_text(render_skeleton(scaffold, shape, out), encoding="utf-8")
    except OSError as exc:
        raise UnwritableOutput.of(exc.filename or out, exc) from None
    return [path for path, _ in targets]


def _encoded_note(operation: Operation) -> list[str]:
    if not is_encoded(operation):
        return []
    return [
        "# SOAP-encoded (use=\"encoded\"): map the body as plain XML; the hub writes xsi:type,",
        "#   soapenc:arrayType and encodingStyle, and reads multiRef/href answers, by itself.",
        "#   An array's items are the elements listed under it (usually item): a [[...list]].",
    ]


# ---------------------------------------------------------------- [soap]


def _soap(scaffold: WsdlScaffold, shape: OperationShape, base: Path | None) -> list[str]:
    lines = ["", "[soap]"]
    where = "    # relative to this file" if base is not None else ""
    lines.append(f"wsdl = {_str(_relative_file(scaffold.wsdl, base))}{where}")
    lines += _pairs(service=shape.port.service, port=shape.port.name,
                    operation=shape.operation.name)
    if scaffold.catalog is not None:
        lines.append(f"catalog = {_str(_relative_file(scaffold.catalog, base))}    "
                     "# OASIS XML catalog for the schemas imported by URL")
    elif scaffold.unresolved:
        lines.append('# catalog = "catalog.xml"    # map the UNRESOLVED imports onto local copies')
    if scaffold.needs_lenient:
        why = "accept the WSDL's letter-case slips" if scaffold.case_mismatches else (
            "load the WSDL as --lenient did")
        lines.append(f"lenient = true    # {why} (see WARNING above)")
    if _sends_xroad_headers(scaffold, shape.input):
        version = shape.operation.xroad_version
        lines += [
            "",
            "# The binding sends X-Road message protocol 4.0 headers with every request; the hub",
            "# writes them from this table (xrd:id is the exchange's correlation id).",
            "[soap.xroad]",
        ]
        lines += _pairs(
            client="<X-Road client INSTANCE/CLASS/CODE/SUBSYSTEM: the hub>",
            provider="<X-Road provider INSTANCE/CLASS/CODE/SUBSYSTEM>",
            service_code=shape.operation.name,
        )
        lines.append(f"service_version = {_str(version)}" if version
                     else '# service_version = "v1"')
    return lines


def _sends_xroad_headers(scaffold: WsdlScaffold, message: MessageShape | None) -> bool:
    if message is None:
        return False
    prefixes = {p for p, ns in scaffold.namespaces.items() if ns == XROAD_NS}
    return any(part.root.partition(":")[0] in prefixes for part in message.headers)


def _relative_file(target: Path, base: Path | None) -> str:
    if base is None:
        return target.resolve().as_posix()
    return Path(os.path.relpath(target.resolve(), base.resolve())).as_posix()


# ---------------------------------------------------------------- sections


def _section(name: str, direction: str, message: MessageShape | None) -> list[str]:
    lines = ["", _RULE + f" {name}"]
    if message is None:
        return [*lines, f"# (this operation has no {direction} message)"]
    lines += _headers(direction, message.headers)
    lines += _attachments(direction, message)
    lines.append(f"[{name}]")
    if not message.body:
        return [*lines, f"# (the {direction} message {message.message} has an empty body)"]
    if len(message.body) > 1:
        lines.append(f"# The {direction} message {message.message} has {len(message.body)} body "
                     "parts; a mapping maps exactly one body element. Its parts:")
        for part in message.body:
            lines += ["", f"# body part {part.part!r}: {part.root}"]
            lines += _commented(_part_lines(name, part))
        return lines
    (part,) = message.body
    if part.unresolved:
        return [
            *lines,
            f"# element = {_str(part.root)}    # UNRESOLVED: {part.unresolved}",
            "",
            f"[{name}.fields]",
            f"# UNRESOLVED: the leaves of {part.root} cannot be listed",
        ]
    if ":" in part.root or part.root.startswith("{"):
        lines.append(f"element = {_str(part.root)}")
    else:
        lines.append(f"# part {part.part!r} is typed, not an element, in a document-style "
                     "binding: mappings cover body elements only")
    return [*lines, "", *_part_lines(name, part)]


def _headers(direction: str, headers: tuple[PartShape, ...]) -> list[str]:
    if not headers:
        return []
    lines = [f"# SOAP headers of the {direction} message: not mapped by this file (the hub "
             "writes X-Road 4.0",
             "# headers from [soap.xroad], and no other header):"]
    rows: list[tuple[str, str]] = []
    for part in headers:
        if part.unresolved:
            rows.append((f"#   {part.root}", f"# UNRESOLVED: {part.unresolved}"))
            continue
        rows += [(f"#   {leaf.path.lstrip('/')}", _annotation(leaf)) for leaf in part.leaves]
    return [*lines, *_aligned(rows), ""]


def _attachments(direction: str, message: MessageShape) -> list[str]:
    if not message.attachments:
        return []
    lines = [f"# ATTACHMENTS of the {direction} message (MIME parts of a multipart/related "
             "message, not XML: not mapped by this file):"]
    lines += [f"#   part {a.part!r}: {a.content_type or '(no content type)'}    # {a.where}"
              for a in message.attachments]
    return [*lines, ""]


def _part_lines(table: str, part: PartShape) -> list[str]:
    """``[table.fields]`` and the list blocks of one resolved body part."""
    root = f"/{part.root}"
    return _block_lines(table, _tree(part.leaves, root))


@dataclass
class _Block:
    """The leaves of one mapping context (a section or a list item) and its repeated children."""

    each: str = ""
    leaves: list[tuple[str, Leaf]] = field(default_factory=list)
    lists: dict[str, _Block] = field(default_factory=dict)


def _tree(leaves: tuple[Leaf, ...], root: str) -> _Block:
    """Leaves grouped by the repeated elements above them, paths relative to each context."""
    top = _Block()
    for leaf in leaves:
        block, context = top, root
        for repeated in leaf.repeats:
            own = repeated == leaf.path
            if not repeated.startswith(context + "/") or (own and not leaf.mappable):
                continue  # the section's own element, or a leaf that cannot be a list item
            block = block.lists.setdefault(repeated, _Block(each=_relative(repeated, context)))
            context = repeated
        block.leaves.append((_relative(leaf.path, context), leaf))
    return top


def _relative(path: str, context: str) -> str:
    return "." if path == context else path[len(context) + 1 :]


def _block_lines(table: str, block: _Block) -> list[str]:
    lines = [f"[{table}.fields]"]
    rows = [
        (f"# {PLACEHOLDER_FIELD} = {_str(path)}" if leaf.mappable
         else f"# not mappable: {_str(path)}", _annotation(leaf))
        for path, leaf in block.leaves
    ]
    if not rows:
        lines.append("# (no leaf outside the repeated elements below)")
    lines += _aligned(rows)
    for inner in block.lists.values():
        lines += [
            "",
            f"[[{table}.list]]",
            'field = "<contract list field>"',
            f"each = {_str(inner.each)}    # repeated: one list item per element",
            "",
            *_block_lines(f"{table}.list", inner),
        ]
    return lines


def _annotation(leaf: Leaf) -> str:
    notes = f" -- {'; '.join(leaf.notes)}" if leaf.notes else ""
    return f"# {leaf.type} {leaf.occurs}{notes}"


def _aligned(rows: list[tuple[str, str]]) -> list[str]:
    width = max((len(left) for left, _ in rows), default=0)
    return [f"{left.ljust(width)}    {right}" for left, right in rows]


def _commented(lines: list[str]) -> list[str]:
    return [line if line.startswith("#") or not line else f"# {line}" for line in lines]


def _pairs(**values: str) -> list[str]:
    return [f"{key} = {_str(value)}" for key, value in values.items()]


def _str(value: str) -> str:
    # A JSON string is a valid TOML basic string (same escapes, \\uXXXX included).
    return json.dumps(value, ensure_ascii=False)
