"""Render contracts as one XML Schema (XSD 1.0), the XML face of the contracts.

Each contract model becomes a named ``xs:complexType`` (a sequence of child
elements named exactly as its fields, in field order) and a global element of
the same name; nested contracts become their own types, rendered once. Field
constraints become facets, so libxml2 can reject a bad message before pydantic
sees it. Anything that cannot be rendered faithfully raises :class:`XsdError`
naming the model and field: a schema that silently accepts more (or less) than
the contract would be worse than none.
"""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin

import annotated_types as at
from lxml import etree
from pydantic.fields import FieldInfo

from contracts.base import Contract
from contracts.errors import HubError

CONTRACTS_NS = "urn:interop-hub:contracts:1"
XS_NS = "http://www.w3.org/2001/XMLSchema"

_XS = f"{{{XS_NS}}}"
_SCALARS: Mapping[type, str] = {
    str: "xs:string",
    int: "xs:integer",
    Decimal: "xs:decimal",
    dt.date: "xs:date",
    dt.datetime: "xs:dateTime",
    bool: "xs:boolean",
}
# Which constraints make sense for which scalar, in the order their facets are written.
_FACETS: Mapping[type, tuple[str, ...]] = {
    str: ("min_length", "max_length", "pattern"),
    int: ("ge", "gt", "le", "lt"),
    Decimal: ("max_digits", "decimal_places", "ge", "gt", "le", "lt"),
}
_FACET_NAMES = {
    "min_length": "minLength",
    "max_length": "maxLength",
    "pattern": "pattern",
    "ge": "minInclusive",
    "gt": "minExclusive",
    "le": "maxInclusive",
    "lt": "maxExclusive",
    "max_digits": "totalDigits",
    "decimal_places": "fractionDigits",
}


_ANNOTATED_TYPES: Mapping[type, str] = {
    at.Ge: "ge",
    at.Gt: "gt",
    at.Le: "le",
    at.Lt: "lt",
    at.MinLen: "min_length",
    at.MaxLen: "max_length",
}


class XsdError(HubError, ValueError):
    """Raised when a contract uses a type or constraint the XSD rendering cannot express."""

    code = "xsd-unsupported"
    status = 500


@dataclass(frozen=True)
class FieldShape:
    """How one contract field appears in XML: its item type, repetition and constraints.

    ``kind`` is a scalar python type (``str``, ``int``, ``Decimal``, ``date``,
    ``datetime``, ``bool``), a ``str`` Enum, or a nested :class:`Contract` model.
    """

    name: str
    kind: type
    repeated: bool = False
    optional: bool = False
    constraints: Mapping[str, Any] = field(default_factory=dict)
    min_items: int = 0
    max_items: int | None = None
    description: str | None = None

    @property
    def is_contract(self) -> bool:
        return issubclass(self.kind, Contract)


def element_name(model: type[Contract]) -> str:
    """The XML element (and complexType) name of a contract model: its class name."""
    return model.__name__


def field_shapes(model: type[Contract]) -> tuple[FieldShape, ...]:
    """The XML shape of every field of ``model``, in field order; raises :class:`XsdError`."""
    return tuple(_shape(model, name, info) for name, info in model.model_fields.items())


def _shape(model: type[Contract], name: str, info: FieldInfo) -> FieldShape:
    where = f"{model.__qualname__}.{name}"
    annotation, nullable = _strip_none(info.annotation, where)
    if nullable and info.default is not None:
        raise XsdError(f"{where}: an optional field must default to None to be rendered in XSD")
    list_metadata: list[Any] = []
    repeated = get_origin(annotation) is list
    if repeated:
        if nullable:
            raise XsdError(f"{where}: 'list[X] | None' is ambiguous in XML (absent vs empty)")
        (annotation,) = get_args(annotation)
        list_metadata = list(info.metadata)
        item_metadata: list[Any] = []
    else:
        item_metadata = list(info.metadata)
    kind, more = _strip_annotated(annotation)
    _check_kind(kind, where)
    min_items, max_items = _occurs(list_metadata, where)
    return FieldShape(
        name=name,
        kind=kind,
        repeated=repeated,
        optional=not info.is_required(),
        constraints=_constraints(kind, [*item_metadata, *more], where),
        min_items=min_items,
        max_items=max_items,
        description=info.description,
    )


def _strip_none(annotation: Any, where: str) -> tuple[Any, bool]:
    if get_origin(annotation) not in (Union, types.UnionType):
        return annotation, False
    args = [arg for arg in get_args(annotation) if arg is not type(None)]
    if len(args) != 1:
        raise XsdError(f"{where}: unions other than 'X | None' are not supported in XSD")
    return args[0], True


def _strip_annotated(annotation: Any) -> tuple[Any, list[Any]]:
    if get_origin(annotation) is not Annotated:
        return annotation, []
    base, *extras = get_args(annotation)
    metadata: list[Any] = []
    for extra in extras:
        metadata.extend(extra.metadata if isinstance(extra, FieldInfo) else [extra])
    return base, metadata


def _check_kind(kind: Any, where: str) -> None:
    if not isinstance(kind, type):
        raise XsdError(f"{where}: type {kind!r} is not supported in XSD")
    if kind in _SCALARS or issubclass(kind, Contract):
        return
    if issubclass(kind, Enum):
        if not issubclass(kind, str):
            raise XsdError(f"{where}: only str Enums are supported in XSD, not {kind.__name__}")
        return
    raise XsdError(f"{where}: type {kind.__name__} is not supported in XSD")


def _constraints(kind: type, metadata: list[Any], where: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in metadata:
        found.update(_constraint_items(item, where))
    allowed = _FACETS.get(kind, ())
    for key in found:
        if key not in allowed:
            raise XsdError(f"{where}: constraint {key!r} is not supported on {kind.__name__}")
    if "pattern" in found:
        found["pattern"] = xsd_pattern(found["pattern"], where)
    return {key: found[key] for key in allowed if key in found}


def _constraint_items(item: Any, where: str) -> Iterator[tuple[str, Any]]:
    for cls, key in _ANNOTATED_TYPES.items():
        if isinstance(item, cls):
            yield key, getattr(item, key)
            return
    # pydantic keeps pattern, max_digits and decimal_places in a private metadata class;
    # read its public attributes rather than importing it. Anything else there (strict,
    # allow_inf_nan...) fails below: strict, for one, would refuse every value read from text.
    general = getattr(item, "__dict__", None)
    if type(item).__name__ != "_PydanticGeneralMetadata" or general is None:
        raise XsdError(f"{where}: constraint {item!r} is not supported in XSD")
    for key, value in general.items():
        if value is not None:
            yield key, value


def _occurs(metadata: list[Any], where: str) -> tuple[int, int | None]:
    min_items, max_items = 0, None
    for item in metadata:
        if isinstance(item, at.MinLen):
            min_items = item.min_length
        elif isinstance(item, at.MaxLen):
            max_items = item.max_length
        else:
            raise XsdError(f"{where}: list constraint {item!r} is not supported in XSD")
    return min_items, max_items


def xsd_pattern(pattern: str, where: str = "pattern") -> str:
    """Translate an anchored Python regex (``^...$``) into an XSD pattern (implicitly anchored).

    Only fully anchored patterns translate faithfully: pydantic searches, XSD
    matches the whole value, and XSD has no ``^``/``$`` anchors at all.
    """
    inner = pattern[1:-1] if pattern.startswith("^") and pattern.endswith("$") else None
    if inner is None or inner.endswith("\\") or _has_top_level_bar(inner):
        raise XsdError(
            f"{where}: pattern {pattern!r} cannot be rendered in XSD; "
            "write it anchored as ^...$ with any alternation inside a group"
        )
    for construct in ("(?", "\\A", "\\Z", "\\b", "\\B", "*?", "+?", "??", "}?"):
        if construct in inner:
            raise XsdError(f"{where}: pattern {pattern!r} uses {construct!r}, unknown to XSD")
    return inner


def _has_top_level_bar(regex: str) -> bool:
    depth, in_class, escaped = 0, False, False
    for char in regex:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == "|" and depth == 0:
            return True
    return False


def render_schema(models: Iterable[type[Contract]], *, target_namespace: str = CONTRACTS_NS) -> str:
    """One ``xs:schema`` with a global element and a complexType per model (deterministic)."""
    schema = schema_element(models, target_namespace=target_namespace)
    return etree.tostring(schema, pretty_print=True, encoding="unicode")


def schema_element(
    models: Iterable[type[Contract]],
    *,
    target_namespace: str = CONTRACTS_NS,
    parent: etree._Element | None = None,
) -> etree._Element:
    """The schema of :func:`render_schema` as an lxml element, created under ``parent`` if given.

    Build it in place (e.g. inside ``wsdl:types``) rather than appending it
    later: lxml drops a moved element's namespace declarations when an ancestor
    declares the same URI, and the schema's ``type="tns:..."`` attribute values
    would lose their prefix.
    """
    return _SchemaBuilder(target_namespace, parent).build(list(models))


class _SchemaBuilder:
    """Accumulates named types once each, in the order they are first met."""

    def __init__(self, target_namespace: str, parent: etree._Element | None) -> None:
        attributes = {"targetNamespace": target_namespace, "elementFormDefault": "qualified"}
        nsmap = {"xs": XS_NS, "tns": target_namespace}
        self.schema = (
            etree.Element(_XS + "schema", attributes, nsmap=nsmap)
            if parent is None
            else etree.SubElement(parent, _XS + "schema", attributes, nsmap=nsmap)
        )
        self.named: dict[str, type] = {}

    def build(self, models: list[type[Contract]]) -> etree._Element:
        elements: dict[str, type[Contract]] = {}
        for model in models:
            name = element_name(model)
            if elements.setdefault(name, model) is not model:
                raise XsdError(f"two models share the element name {name!r}: {model.__qualname__}")
        for name, model in elements.items():
            element = etree.SubElement(self.schema, _XS + "element", name=name, type=f"tns:{name}")
            _document(element, f"{model.contract_id()}: {_summary(model)}")
        for model in elements.values():
            self._complex_type(model)
        return self.schema

    def _claim(self, name: str, owner: type) -> bool:
        """Reserve a type name: True the first time, False once rendered, error on a clash."""
        existing = self.named.get(name)
        if existing is None:
            self.named[name] = owner
            return True
        if existing is not owner:
            raise XsdError(
                f"type name {name!r} is used by both {existing.__qualname__} "
                f"and {owner.__qualname__}"
            )
        return False

    def _complex_type(self, model: type[Contract]) -> None:
        name = element_name(model)
        if not self._claim(name, model):
            return
        complex_type = etree.SubElement(self.schema, _XS + "complexType", name=name)
        _document(complex_type, f"{model.contract_id()}: {_summary(model)}")
        sequence = etree.SubElement(complex_type, _XS + "sequence")
        shapes = field_shapes(model)
        for shape in shapes:
            self._field(sequence, shape)
        for shape in shapes:
            if shape.is_contract:
                self._complex_type(shape.kind)

    def _field(self, sequence: etree._Element, shape: FieldShape) -> None:
        element = etree.SubElement(sequence, _XS + "element", name=shape.name)
        if shape.repeated:
            element.set("minOccurs", str(shape.min_items))
            most = shape.max_items
            element.set("maxOccurs", "unbounded" if most is None else str(most))
        elif shape.optional:
            element.set("minOccurs", "0")
        if shape.description:
            _document(element, shape.description)
        if shape.is_contract:
            element.set("type", f"tns:{element_name(shape.kind)}")
        elif issubclass(shape.kind, Enum):
            element.set("type", f"tns:{shape.kind.__name__}")
            self._enum_type(shape.kind)
        elif shape.constraints:
            restriction = etree.SubElement(
                etree.SubElement(element, _XS + "simpleType"),
                _XS + "restriction",
                base=_SCALARS[shape.kind],
            )
            for key, value in shape.constraints.items():
                etree.SubElement(restriction, _XS + _FACET_NAMES[key], value=_literal(value))
        else:
            element.set("type", _SCALARS[shape.kind])

    def _enum_type(self, enum: type[Enum]) -> None:
        if not self._claim(enum.__name__, enum):
            return
        simple_type = etree.SubElement(self.schema, _XS + "simpleType", name=enum.__name__)
        _document(simple_type, _summary(enum))
        restriction = etree.SubElement(simple_type, _XS + "restriction", base="xs:string")
        for member in enum:
            etree.SubElement(restriction, _XS + "enumeration", value=str(member.value))


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        raise XsdError(f"boolean facet value {value!r} is not supported")
    if isinstance(value, int | Decimal | float):
        # str(float) may use exponent notation, which xs:decimal facets reject.
        return format(Decimal(str(value)), "f")
    return str(value)


def _summary(cls: type) -> str:
    doc = (cls.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else cls.__name__


def _document(parent: etree._Element, text: str) -> None:
    annotation = etree.SubElement(parent, _XS + "annotation")
    etree.SubElement(annotation, _XS + "documentation").text = text
