"""Compile the field rules of one frame, whatever the medium, recording what is wrong.

The medium (XML or JSON) supplies a :class:`Sources` object that turns a source
path into slots and tells the legacy type there; this module resolves contract
fields, builds value codecs, checks that legacy and contract types fit the
transform, and insists that lossy transforms are declared.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any, Protocol

from contracts.base import Contract
from translation.mapping.fields import FieldPathError, required_leaves, resolve
from translation.mapping.frames import (
    Applier,
    Const,
    ConstOut,
    Encoder,
    Join,
    JoinOut,
    Layout,
    Simple,
    SimpleOut,
    Split,
    SplitOut,
    getter,
)
from translation.mapping.report import Report
from translation.mapping.spec import MISSING, FieldRule
from translation.mapping.transforms import Medium, RuleError, ValueCodec, build_codec


@dataclass(frozen=True)
class Source:
    """A source path resolved by the medium: read slot, write slot and legacy type."""

    slot: int
    wslot: int | None  # None: the path cannot be written (a general XPath)
    suffix: str  # appended to the context's location in issues (``/Holder/PersNo``)
    family: str | None  # legacy type family (see xml_schema_view), None when unknown
    label: str  # legacy type as people read it (``tns:DtType``, ``integer``)


class Sources(Protocol):
    """What a medium offers the builder for one frame."""

    def source(self, path: str, key: str) -> Source | None: ...


class FrameRules:
    """The compiled rules of one frame: appliers, encoders and the fields they cover."""

    def __init__(self) -> None:
        self.layout = Layout()
        self.appliers: list[Applier] = []
        self.encoders: list[Encoder] = []
        self.covered: set[str] = set()


def compile_rules(rules: tuple[FieldRule, ...], model: type[Contract], medium: Medium,
                  sources: Sources, report: Report) -> FrameRules:
    """Compile ``rules`` for ``model``; every problem goes to ``report``."""
    out = FrameRules()
    splits: dict[tuple[str, str], list[tuple[FieldRule, Any]]] = defaultdict(list)
    for rule in rules:
        kind = _leaf_kind(rule, model, report)
        if kind is _SKIP:
            continue
        codec = _codec(rule, kind, medium, report)
        if codec is None:
            continue
        out.covered.add(rule.field)
        ci, key = out.layout.target(rule.field)
        if rule.const is not MISSING:
            out.appliers.append(Const(rule.field, "", ci, key, codec.decode(None)))
            out.encoders.append(ConstOut(rule.field, "", getter(rule.field), codec.encode))
        elif rule.split is not None:
            splits[(rule.paths[0], rule.split)].append((rule, codec))
        elif len(rule.paths) > 1:
            _join(rule, codec, ci, key, sources, kind, out, report)
        else:
            _simple(rule, codec, ci, key, sources, kind, out, report)
    for (path, separator), group in splits.items():
        _split(path, separator, group, out, sources, report)
    return out


def report_unmapped(model: type[Contract], covered: set[str], key: str,
                    report: Report) -> None:
    """An error for every required contract field that no rule or list block fills."""
    for leaf in required_leaves(model):
        if leaf not in covered:
            report.error(key, f"required contract field {leaf!r} is not mapped",
                         "unmapped-field")


_SKIP: Any = object()


def _leaf_kind(rule: FieldRule, model: type[Contract], report: Report) -> Any:
    try:
        ref = resolve(model, rule.field)
    except FieldPathError as exc:
        report.error(rule.key, f"{model.contract_id()}: {exc}", "unknown-field")
        return _SKIP
    if ref.shape.repeated or ref.shape.is_contract:
        what = "a list: map it with a [[...list]] block" if ref.shape.repeated else (
            "a nested contract: map its fields, e.g. " f"{rule.field}.<field>")
        report.error(rule.key, f"{rule.field} is {what}", "not-a-value")
        return _SKIP
    return ref.shape.kind


def _codec(rule: FieldRule, kind: type, medium: Medium, report: Report) -> ValueCodec | None:
    mismatch = _transform_kind_mismatch(rule, kind)
    if mismatch:
        report.error(rule.key, mismatch, "type-mismatch")
        return None
    try:
        codec = build_codec(rule, kind, medium)
    except RuleError as exc:
        report.error(rule.key, str(exc), "bad-transform")
        return None
    if codec.lossy and not rule.lossy:
        report.error(rule.key, f"lossy transform not declared: {'; '.join(codec.lossy)} "
                     "(add lossy = true)", "lossy-undeclared")
    elif rule.lossy:
        report.lossy(rule.key, "; ".join(codec.lossy) or "declared lossy")
    return codec


def _transform_kind_mismatch(rule: FieldRule, kind: type) -> str | None:
    name = getattr(kind, "__name__", str(kind))
    if rule.date is not None and kind is not dt.date:
        return f"date = {rule.date!r} needs a date field; {rule.field} is {name}"
    if rule.datetime is not None and kind not in (dt.date, dt.datetime):
        return (f"datetime = {rule.datetime!r} needs a date or datetime field; "
                f"{rule.field} is {name}")
    if rule.scale is not None and kind is not Decimal:
        return f"scale needs a decimal field; {rule.field} is {name}"
    if rule.round is not None and kind not in (Decimal, int, float):
        return f"round needs a number field; {rule.field} is {name}"
    if rule.codes is not None and not (kind is str or issubclass(kind, Enum)):
        return f"a code table needs an enum or text field; {rule.field} is {name}"
    return None


def legacy_mismatch(rule: FieldRule, kind: type, family: str | None) -> str | None:
    """Why the legacy type ``family`` cannot feed ``kind`` through ``rule``; None if it can."""
    if family in (None, "any", "other"):
        return None
    if family in ("complex", "object", "array"):
        return "is a structure, not a value: map its children"
    if rule.date is not None:
        ok = {"string"} | ({"date"} if rule.date == "iso" else set())
    elif rule.datetime is not None:
        ok = {"string"} | ({"datetime"} if rule.datetime == "iso" else set())
    elif rule.scale is not None:
        ok = {"integer", "string"}
    elif rule.codes is not None:
        ok = {"string", "integer"}
    elif rule.const is not MISSING:
        return None
    else:
        ok = _PLAIN.get(kind, {"string", "integer", "decimal", "float", "boolean", "date",
                                "datetime", "number"})
    if family in ok:
        return None
    hint = (" (add a date/datetime format, e.g. date = \"%d.%m.%Y\")"
            if kind in (dt.date, dt.datetime) and family == "string" else "")
    return f"legacy {family} cannot be mapped onto {getattr(kind, '__name__', kind)}{hint}"


_PLAIN: dict[Any, set[str]] = {
    dt.date: {"date"},
    dt.datetime: {"datetime"},
    int: {"integer", "string"},
    Decimal: {"integer", "decimal", "float", "string", "number"},
    float: {"integer", "decimal", "float", "string", "number"},
    bool: {"boolean", "string"},
}


def _check_legacy(rule: FieldRule, kind: type, source: Source, report: Report) -> None:
    reason = legacy_mismatch(rule, kind, source.family)
    if reason:
        report.error(rule.key, f"{rule.paths[0] if rule.paths else ''} ({source.label}): "
                     f"{reason}", "type-mismatch")


def _simple(rule: FieldRule, codec: ValueCodec, ci: int, key: str, sources: Sources,
            kind: type, out: FrameRules, report: Report) -> None:
    source = sources.source(rule.paths[0], rule.key)
    if source is None:
        return
    _check_legacy(rule, kind, source, report)
    plain = (rule.date is None and rule.datetime is None and rule.codes is None
             and rule.scale is None and rule.round is None and not rule.null)
    out.appliers.append(Simple(rule.field, source.suffix, source.slot, ci, key,
                               None if plain else codec.decode, rule.default))
    if source.wslot is not None:
        out.encoders.append(SimpleOut(rule.field, source.suffix, getter(rule.field),
                                      codec.encode, source.wslot))


def _join(rule: FieldRule, codec: ValueCodec, ci: int, key: str, sources: Sources,
          kind: type, out: FrameRules, report: Report) -> None:
    found = [sources.source(path, rule.key) for path in rule.paths]
    if any(source is None for source in found):
        return
    resolved = [s for s in found if s is not None]
    if kind is not str:
        report.error(rule.key, f"paths joined with join need a text field; {rule.field} is "
                     f"{kind.__name__}", "type-mismatch")
        return
    separator = str(rule.join)
    out.appliers.append(Join(rule.field, resolved[0].suffix, tuple(s.slot for s in resolved),
                             separator, ci, key, codec.decode))
    if all(s.wslot is not None for s in resolved):
        out.encoders.append(JoinOut(rule.field, resolved[0].suffix, getter(rule.field),
                                    codec.encode, separator,
                                    tuple(s.wslot for s in resolved if s.wslot is not None)))


def _split(path: str, separator: str, group: list[tuple[FieldRule, ValueCodec]],
           out: FrameRules, sources: Sources, report: Report) -> None:
    first = group[0][0]
    source = sources.source(path, first.key)
    if source is None:
        return
    numbers = sorted(rule.part or 0 for rule, _ in group)
    if numbers != list(range(1, len(group) + 1)):
        report.error(first.key, f"split of {path!r}: parts must be numbered 1..{len(group)} "
                     f"without gaps or repeats, got {numbers}", "bad-split")
        return
    group = sorted(group, key=lambda pair: pair[0].part or 0)
    parts = tuple((*out.layout.target(rule.field), codec.decode) for rule, codec in group)
    fields = ", ".join(rule.field for rule, _ in group)
    names = tuple(rule.field for rule, _ in group)
    out.appliers.append(Split(fields, source.suffix, source.slot, separator, parts, names))
    if source.wslot is not None:
        out.encoders.append(SplitOut(
            fields, source.suffix,
            tuple((getter(rule.field), codec.encode, rule.field) for rule, codec in group),
            separator, source.wslot))
