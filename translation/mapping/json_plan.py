"""One direction of a JSON mapping, compiled: a legacy JSON document <-> a contract.

Source paths are JSON Pointers (RFC 6901) relative to the section's document
or to one item of a list block. With a JSON Schema in the section, decoding
parses and validates the bytes in one pydantic-core pass
(:mod:`translation.mapping.json_schema`), and encoding validates the document it
built. JSON numbers are binary: a fraction arrives as a float and converts
exactly to a decimal up to 15 significant digits — money travels best as
integer minor units (``scale``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import pydantic_core
from pydantic_core import SchemaValidator, ValidationError

from contracts.base import Contract
from contracts.errors import ContractError, FieldIssue
from contracts.validation import validate_contract
from translation.errors import MalformedInput, MappingError, SchemaViolation
from translation.mapping import json_schema
from translation.mapping.builder import Source, compile_rules, report_unmapped
from translation.mapping.fields import FieldPathError, list_item
from translation.mapping.frames import Frame, ListLink, getter
from translation.mapping.json_route import JsonRoute
from translation.mapping.paths import JsonPointer, PathError, parse_pointer
from translation.mapping.report import Report
from translation.mapping.spec import MISSING, ListBlock, Section
from translation.mapping.transforms import OMIT, TransformError

C = TypeVar("C", bound=Contract)


@dataclass
class _JNode:
    """A member on the paths a frame writes: nested members, a value, or a list."""

    children: dict[str, _JNode] = field(default_factory=dict)
    value: int | None = None
    repeat: ListLink | None = None


class JsonSources:
    """Resolves a frame's JSON Pointers (``Sources``), against its schema when there is one."""

    def __init__(self, schema: Mapping[str, Any] | None, report: Report) -> None:
        self.schema = schema
        self.report = report
        self.pointers: list[tuple[tuple[str, ...], int]] = []
        self.writes = _JNode()
        self.template: list[Any] = []
        self._cache: dict[str, Source] = {}

    def source(self, path: str, key: str) -> Source | None:
        if path in self._cache:
            self.report.error(key, f"{path!r} is mapped twice: one member, one rule",
                              "duplicate-path")
            return self._cache[path]
        pointer = self.pointer(path, key)
        if pointer is None:
            return None
        if not pointer.tokens:
            self.report.error(key, "a field cannot come from the whole document ('')",
                              "bad-path")
            return None
        slot = len(self.pointers)
        self.pointers.append((pointer.tokens, slot))
        node = self.node(pointer.tokens)
        node.value = len(self.template)
        self.template.append(OMIT)
        sub = json_schema.at(self.schema, pointer.tokens)
        found = Source(slot, node.value, pointer.text, json_schema.family(sub),
                       str((sub or {}).get("type", "any")))
        self._cache[path] = found
        return found

    def pointer(self, path: str, key: str) -> JsonPointer | None:
        try:
            pointer = parse_pointer(path)
        except PathError as exc:
            self.report.error(key, str(exc), "bad-path")
            return None
        if self.schema is not None and pointer.tokens:
            found = json_schema.at(self.schema, pointer.tokens)
            if found is None:
                self.report.error(key, f"unknown source path {path!r}: the JSON Schema rules "
                                  "out such a member", "unknown-path")
                return None
            if found is json_schema.UNDECLARED:
                self.report.note(key, f"{path!r} is not declared in the JSON Schema (its "
                                 "object allows other members)", "undeclared-path")
        return pointer

    def node(self, tokens: tuple[str, ...]) -> _JNode:
        node = self.writes
        for token in tokens:
            node = node.children.setdefault(token, _JNode())
        return node


def compile_frame(schema: Mapping[str, Any] | None, model: type[Contract], rules_key: str,
                  rules: Any, blocks: tuple[ListBlock, ...], report: Report,
                  constants: Mapping[str, Any] | None = None) -> Frame:
    """Compile one JSON context (a section's document or a list item)."""
    sources = JsonSources(schema, report)
    compiled = compile_rules(rules, model, "json", sources, report)
    for path, value in (constants or {}).items():
        pointer = sources.pointer(path, f"{rules_key}.constants.{path}")
        if pointer is not None and pointer.tokens:
            sources.node(pointer.tokens).value = len(sources.template)
            sources.template.append(value)
    frame = Frame(compiled.layout, compiled.appliers, compiled.encoders, len(sources.pointers),
                  sources.template)
    covered = set(compiled.covered)
    for block in blocks:
        link = _list_link(block, schema, model, compiled.layout, sources, report)
        if link is not None:
            frame.lists.append(link)
            covered.add(block.field)
    report_unmapped(model, covered, f"{rules_key}.fields", report)
    frame.reader = _reader(tuple(sources.pointers))
    frame.emit = _writer(sources.writes)
    _report_unwritten(schema, sources.writes, rules_key, report)
    return frame


def _list_link(block: ListBlock, schema: Mapping[str, Any] | None, model: type[Contract],
               layout: Any, sources: JsonSources, report: Report) -> ListLink | None:
    try:
        item_model = list_item(model, block.field)
    except FieldPathError as exc:
        report.error(block.key, str(exc), "unknown-field")
        return None
    pointer = sources.pointer(block.each, f"{block.key}.each")
    if pointer is None:
        return None
    array = json_schema.at(schema, pointer.tokens)
    item_schema = (array or {}).get("items") if array is not None else None
    ci, key = layout.target(block.field)
    frame = compile_frame(item_schema, item_model, block.key, block.rules, block.lists, report)
    tokens = pointer.tokens
    link = ListLink(
        field=block.field, ci=ci, key=key, frame=frame, items=lambda doc: _items(doc, tokens),
        item_path=lambda where, index: f"{where}{pointer.text}/{index}",
        each_source=pointer.text, get=getter(block.field),
    )
    sources.node(tokens).repeat = link
    return link


def _items(doc: Any, tokens: tuple[str, ...]) -> list[Any]:
    value = _get(doc, tokens)
    if value is MISSING or value is None:
        return []
    if not isinstance(value, list):
        raise TransformError("type", f"expected a list, got {type(value).__name__}")
    return value


def _get(doc: Any, tokens: tuple[str, ...]) -> Any:
    value = doc
    try:
        for token in tokens:
            value = value[token] if type(value) is dict else value[int(token)]
    except (KeyError, IndexError, TypeError, ValueError):
        return MISSING
    return value


def _reader(pointers: tuple[tuple[tuple[str, ...], int], ...]
            ) -> Callable[[Any, list[Any]], None]:
    # Most pointers have one or two tokens: those are read inline, without a call.
    singles = tuple((tokens[0], slot) for tokens, slot in pointers if len(tokens) == 1)
    doubles = tuple((tokens[0], tokens[1], slot) for tokens, slot in pointers
                    if len(tokens) == 2 and not tokens[1].isdigit())
    deeper = tuple((tokens, slot) for tokens, slot in pointers
                   if len(tokens) > 2 or (len(tokens) == 2 and tokens[1].isdigit()))

    def fill(doc: Any, slots: list[Any]) -> None:
        if type(doc) is not dict:
            return
        get = doc.get
        for name, slot in singles:
            slots[slot] = get(name, MISSING)
        for outer, inner, slot in doubles:
            value = get(outer)
            slots[slot] = value.get(inner, MISSING) if type(value) is dict else MISSING
        for tokens, slot in deeper:
            slots[slot] = _get(doc, tokens)

    return fill


def _writer(node: _JNode) -> Callable[..., Any]:
    members = []
    for token, child in node.children.items():
        if child.repeat is not None:
            members.append((token, "repeat", child.repeat))
        elif child.children:
            members.append((token, "group", _writer(child)))
        elif child.value is not None:
            members.append((token, "value", child.value))

    def emit(values: list[Any], obj: Any, ctx: _Context) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        for token, kind, payload in members:
            if kind == "value":
                if values[payload] is not OMIT:
                    doc[token] = values[payload]
            elif kind == "group":
                inner = payload(values, obj, ctx)
                if inner:
                    doc[token] = inner
            else:
                doc[token] = [_item(payload, item, index, ctx)
                              for index, item in enumerate(payload.get(obj) or ())]
        return doc

    return emit


@dataclass
class _Context:
    issues: list[FieldIssue]
    where: str
    prefix: str = ""


def _item(link: ListLink, item: Any, index: int, ctx: _Context) -> dict[str, Any]:
    where, prefix = link.item_path(ctx.where, index), f"{ctx.prefix}{link.field}.{index}."
    values = link.frame.encode_values(item, ctx.issues, where, prefix)
    return link.frame.emit(values, item, _Context(ctx.issues, where, prefix))  # type: ignore[no-any-return]


def _report_unwritten(schema: Mapping[str, Any] | None, node: _JNode, key: str,
                      report: Report) -> None:
    for pointer in json_schema.required_paths(schema):
        found: _JNode | None = node
        for token in pointer[1:].split("/"):
            found = found.children.get(token) if found is not None else None
        if found is None:
            report.error(key, f"required member {pointer} is never written on encode: map a "
                         "field or a constant onto it", "unwritten-required")


class JsonSection(Generic[C]):
    """A compiled request or response mapping between JSON documents and ``model``."""

    def __init__(self, model: type[C], frame: Frame, validator: SchemaValidator | None) -> None:
        self.model = model
        self.frame = frame
        self._validator = validator

    def decode_bytes(self, data: bytes) -> C:
        """Parse (and schema-validate) JSON bytes, then map; raises MalformedInput,
        SchemaViolation, MappingError or ContractError with JSON Pointer paths."""
        if self._validator is None:
            try:
                document = pydantic_core.from_json(data)
            except ValueError as exc:
                raise _malformed(str(exc)) from None
            return self.decode(document)
        try:
            document = self._validator.validate_json(data)
        except ValidationError as exc:
            raise _schema_error(self.model, exc) from None
        return self.build(document)

    def decode(self, document: Any) -> C:
        """Map a parsed document, validating it against the schema first if there is one."""
        if self._validator is not None:
            try:
                document = self._validator.validate_python(document)
            except ValidationError as exc:
                raise _schema_error(self.model, exc) from None
        return self.build(document)

    def build(self, document: Any) -> C:
        if not isinstance(document, dict):
            reason = f"expected a JSON object, got {type(document).__name__}"
            raise MappingError(f"{self.model.contract_id()}: {reason}", issues=(
                FieldIssue(path="$", reason=reason, code="type"),))
        try:
            data = self.frame.build(document)
        except TransformError:
            issues: list[FieldIssue] = []
            self.frame.build_careful(document, issues, "")
            raise MappingError(f"{self.model.contract_id()}: {len(issues)} value(s) cannot be "
                               f"mapped; first at {issues[0].path}: {issues[0].reason}",
                               issues=tuple(issues)) from None
        try:
            return validate_contract(self.model, data)
        except ContractError as exc:
            raise ContractError(exc.contract, "mapped data violates the contract", issues=tuple(
                FieldIssue(path=self.legacy_path(i.field), reason=i.reason, code=i.code,
                           field=i.field) for i in exc.issues)) from None

    def legacy_path(self, field: str | None) -> str:
        return self.frame.legacy_path(field.split(".") if field else [], "") or "$"

    def encode(self, contract: Contract) -> dict[str, Any]:
        """The legacy document for ``contract``, validated against the schema if any."""
        if not isinstance(contract, self.model):
            raise TypeError(f"expected {self.model.__name__}, got {type(contract).__name__}")
        issues: list[FieldIssue] = []
        values = self.frame.encode_values(contract, issues, "")
        document = self.frame.emit(values, contract, _Context(issues, ""))
        if issues:
            raise MappingError(f"{self.model.contract_id()}: {len(issues)} value(s) cannot be "
                               f"written; first at {issues[0].path}: {issues[0].reason}",
                               issues=tuple(issues))
        if self._validator is not None:
            try:
                self._validator.validate_python(document)
            except ValidationError as exc:
                raise _schema_error(self.model, exc) from None
        return document  # type: ignore[no-any-return]


def _malformed(reason: str) -> MalformedInput:
    return MalformedInput(f"not valid JSON: {reason}", issues=(
        FieldIssue(path="$", reason=reason, code="not-well-formed"),))


def _schema_error(model: type[Contract], exc: ValidationError) -> MalformedInput | SchemaViolation:
    found = json_schema.issues(exc)
    if any(issue.code == "json_invalid" for issue in found):
        return _malformed(found[0].reason)
    return SchemaViolation(f"{model.contract_id()}: {len(found)} legacy schema violation(s); "
                           f"first at {found[0].path}: {found[0].reason}", issues=found)


def compile_json_section(section: Section, model: type[C], report: Report, *,
                         route: JsonRoute | None = None) -> JsonSection[C]:
    """Compile a ``[request]`` or ``[response]`` section; problems go to ``report``."""
    validator = None
    if section.schema is not None:
        try:
            validator = json_schema.compile_schema(section.schema, f"{section.name}.schema")
        except json_schema.JsonSchemaError as exc:
            report.error(f"{section.name}.schema", str(exc), "bad-schema")
    frame = compile_frame(section.schema, model, section.name, section.rules, section.lists,
                          report, section.constants)
    if route is not None:
        route.check(frame, section, report)
    return JsonSection(model, frame, validator)
