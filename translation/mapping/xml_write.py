"""XML writing for compiled frames: contract values -> elements, in the schema's order.

A :class:`PathNode` tree holds the element paths a frame reads or writes (its
reader is compiled in :mod:`translation.mapping.xml_frames`); :func:`compile_writer`
turns one into a function that writes children in the order the content model
declares them, whatever order the mapping lists its fields in, so that an
encoded message can validate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from contracts.errors import FieldIssue
from translation.mapping.frames import ListLink
from translation.mapping.report import Report
from translation.mapping.transforms import OMIT
from translation.mapping.xml_schema_view import Decl

XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


@dataclass
class PathNode:
    """One element on the paths a frame reads or writes, keyed by Clark name below it."""

    decl: Decl
    children: dict[str, PathNode] = field(default_factory=dict)
    text: int | None = None
    attributes: dict[str, int] = field(default_factory=dict)
    repeats: dict[str, ListLink] = field(default_factory=dict)

    def below(self, clark: str, decl: Decl) -> PathNode:
        return self.children.setdefault(clark, PathNode(decl))


@dataclass
class EmitContext:
    """Where an encoding is: issues so far, the legacy location and the field prefix."""

    issues: list[FieldIssue]
    where: str
    prefix: str = ""


def compile_writer(node: PathNode, fields: Mapping[str, str], suffix: str = ""
                    ) -> Callable[[Any, list[Any], Any, EmitContext], None]:
    """A function writing ``node``'s children in schema order from write slots."""
    steps: list[tuple[int, str, str, Any]] = []
    for clark, child in node.children.items():
        here = f"{suffix}/{child.decl.local}"
        if child.text is not None and not child.children and not child.attributes:
            # A required nillable element without a value is sent as xsi:nil (SOAP encoding).
            found = node.decl.child(clark)
            nil = found is not None and found.required and child.decl.nillable
            steps.append((node.decl.order(clark), "leaf", clark, (child.text, here, nil)))
        else:
            steps.append((node.decl.order(clark), "group", clark,
                          compile_writer(child, fields, here)))
    for clark, link in node.repeats.items():
        steps.append((node.decl.order(clark), "repeat", clark, link))
    ordered = [(kind, clark, payload) for _, kind, clark, payload in sorted(steps)]
    own, attributes = node.text, tuple(node.attributes.items())

    def emit(element: Any, values: list[Any], obj: Any, ctx: EmitContext) -> None:
        if own is not None and values[own] is not OMIT:
            _set_text(element, values[own], ctx, suffix, fields)
        for name, wslot in attributes:
            if values[wslot] is not OMIT:
                element.set(name, values[wslot])
        for kind, clark, payload in ordered:
            if kind == "leaf":
                wslot, here, nil = payload
                if values[wslot] is not OMIT:
                    _set_text(etree.SubElement(element, clark), values[wslot], ctx, here, fields)
                elif nil:
                    etree.SubElement(element, clark).set(XSI_NIL, "true")
            elif kind == "group":
                child = etree.SubElement(element, clark)
                payload(child, values, obj, ctx)
                if not len(child) and child.text is None and not child.attrib:
                    element.remove(child)
            else:
                _emit_items(element, clark, payload, obj, ctx)

    return emit


def _emit_items(element: Any, clark: str, link: ListLink, obj: Any, ctx: EmitContext) -> None:
    for index, item in enumerate(link.get(obj) or ()):
        where = link.item_path(ctx.where, index)
        prefix = f"{ctx.prefix}{link.field}.{index}."
        values = link.frame.encode_values(item, ctx.issues, where, prefix)
        link.frame.emit(etree.SubElement(element, clark), values, item,
                        EmitContext(ctx.issues, where, prefix))


def _set_text(element: Any, text: str, ctx: EmitContext, here: str,
              fields: Mapping[str, str]) -> None:
    try:
        element.text = text
    except ValueError:
        reason = "contains characters XML 1.0 cannot carry (control characters, U+FFFE...)"
        field_name = fields.get(here)
        ctx.issues.append(FieldIssue(path=ctx.where + here, reason=reason,
                                     code="not-xml-compatible",
                                     field=ctx.prefix + field_name if field_name else None))


def report_unwritten(node: PathNode, key: str, report: Report, path: str = "") -> None:
    """An error for every required element or attribute that encoding never writes."""
    for child in node.decl.children:
        clark = child.decl.name
        if not child.required or clark in node.repeats:
            continue
        below = node.children.get(clark)
        here = f"{path}/{child.decl.local}"
        if below is None:
            report.error(key, f"required legacy element {here.lstrip('/')} is never written on "
                         "encode: map a field or a constant onto it", "unwritten-required")
        elif not below.decl.is_leaf:
            report_unwritten(below, key, report, here)
    kind = node.decl.xsd_type
    if not kind.is_simple():
        for name, attribute in kind.attributes.items():
            if name and attribute.use == "required" and name not in node.attributes and (
                    name.rpartition("}")[2] not in node.attributes):
                report.error(key, f"required attribute {path.lstrip('/')}/@"
                             f"{name.rpartition('}')[2]} is never written on encode",
                             "unwritten-required")
