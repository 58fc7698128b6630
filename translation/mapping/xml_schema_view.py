"""What a mapping needs to know about XSD element declarations (read through xmlschema).

A :class:`Decl` wraps one xmlschema element declaration and answers, at load
time only: which children it has and in what order, whether each is required,
where a child sits when the content model fixes its position, and the
"family" of a simple type (string, integer, decimal, date...) for type checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

XSD_NS = "http://www.w3.org/2001/XMLSchema"

_FAMILIES = {
    "string": "string", "normalizedString": "string", "token": "string", "language": "string",
    "Name": "string", "NCName": "string", "NMTOKEN": "string", "ID": "string",
    "IDREF": "string", "ENTITY": "string", "anyURI": "string", "QName": "string",
    "integer": "integer", "long": "integer", "int": "integer", "short": "integer",
    "byte": "integer", "nonNegativeInteger": "integer", "positiveInteger": "integer",
    "nonPositiveInteger": "integer", "negativeInteger": "integer",
    "unsignedLong": "integer", "unsignedInt": "integer", "unsignedShort": "integer",
    "unsignedByte": "integer", "decimal": "decimal", "float": "float", "double": "float",
    "date": "date", "dateTime": "datetime", "boolean": "boolean",
    "anySimpleType": "any", "anyType": "any",
}


@dataclass(frozen=True)
class Child:
    """A child element declaration with its effective cardinality inside its parent."""

    decl: Decl
    min_occurs: int
    max_occurs: int | None  # None: unbounded

    @property
    def required(self) -> bool:
        return self.min_occurs > 0

    @property
    def repeated(self) -> bool:
        return self.max_occurs is None or self.max_occurs > 1


class Decl:
    """One XSD element declaration, seen from the mapping engine."""

    def __init__(self, element: Any) -> None:
        self._element = element

    @property
    def name(self) -> str:
        """Clark name, e.g. ``{http://...}PersNo``."""
        return str(self._element.name)

    @property
    def local(self) -> str:
        return self.name.rpartition("}")[2]

    @property
    def xsd_type(self) -> Any:
        return self._element.type

    @property
    def nillable(self) -> bool:
        """Whether the element may be sent empty as ``xsi:nil="true"`` (no value)."""
        return bool(self._element.nillable)

    @property
    def is_leaf(self) -> bool:
        """Whether the element holds text (a simple type or simple content)."""
        kind = self.xsd_type
        return bool(kind.is_simple() or kind.has_simple_content())

    @property
    def simple_type(self) -> Any:
        kind = self.xsd_type
        return kind if kind.is_simple() else kind.content

    @property
    def family(self) -> str:
        """string, integer, decimal, float, date, datetime, boolean, any, other or complex."""
        return simple_family(self.simple_type) if self.is_leaf else "complex"

    @property
    def type_name(self) -> str:
        """A readable name of the element's type (``tns:DtType``, ``xs:long``...)."""
        return type_label(self.simple_type if self.is_leaf else self.xsd_type)

    @cached_property
    def children(self) -> tuple[Child, ...]:
        """Child element declarations in document order, with effective cardinality."""
        if self.is_leaf:
            return ()
        return tuple(_particles(self.xsd_type.content, 1, 1))

    @cached_property
    def _by_name(self) -> dict[str, Child]:
        return {child.decl.name: child for child in self.children}

    def child(self, clark: str) -> Child | None:
        return self._by_name.get(clark)

    def order(self, clark: str) -> int:
        """Where ``clark`` comes among this element's children (for encoding)."""
        return list(self._by_name).index(clark)

    def attribute(self, name: str) -> Any | None:
        """The xmlschema attribute declaration (Clark name, or local when unqualified)."""
        if self.xsd_type.is_simple():
            return None
        attributes = self.xsd_type.attributes
        return attributes.get(name) or attributes.get(name.rpartition("}")[2])

    @cached_property
    def positions(self) -> dict[str, int]:
        """Children whose index among element children is fixed by the content model.

        Only a plain sequence fixes positions, and only up to the first element
        that may be absent or repeat: a message that passed schema validation then
        has that child exactly there. Positions are counted from the start only —
        a type derived by extension (``xsi:type``) appends its elements at the end.
        """
        content = None if self.is_leaf else self.xsd_type.content
        if content is None or getattr(content, "model", None) != "sequence" or not (
                content.min_occurs == content.max_occurs == 1):
            return {}
        fixed: dict[str, int] = {}
        for index, item in enumerate(content):
            single = item.min_occurs == 1 and item.max_occurs == 1
            if hasattr(item, "model") or not hasattr(item, "type") or not single:
                break  # a nested group, a wildcard or a varying element: positions end here
            fixed[str(item.name)] = index
        return fixed


def _particles(group: Any, outer_min: int, outer_max: int | None) -> Iterator[Child]:
    """Flatten model groups into child declarations with their effective occurrences."""
    if group is None or not hasattr(group, "model"):
        return
    choice = group.model == "choice" and len(group) > 1
    g_min = outer_min * group.min_occurs * (0 if choice else 1)
    g_max = None if outer_max is None or group.max_occurs is None else (
        outer_max * group.max_occurs)
    for item in group:
        if hasattr(item, "model"):
            yield from _particles(item, g_min, g_max)
        elif hasattr(item, "type"):
            top = None if g_max is None or item.max_occurs is None else g_max * item.max_occurs
            yield Child(Decl(item), g_min * item.min_occurs, top)


def simple_family(simple: Any) -> str:
    """The built-in family a simple type derives from (walks ``base_type``)."""
    current = simple
    while current is not None:
        name = getattr(current, "name", None)
        if name and name.startswith(f"{{{XSD_NS}}}"):
            return _FAMILIES.get(name.rpartition("}")[2], "other")
        if hasattr(current, "member_types") or hasattr(current, "item_type"):
            return "other"
        current = getattr(current, "base_type", None)
    return "other"


def type_label(kind: Any) -> str:
    name = getattr(kind, "name", None)
    if name:
        namespace, _, local = name.rpartition("}")
        return f"xs:{local}" if namespace == f"{{{XSD_NS}" else local
    base = getattr(kind, "base_type", None)
    return f"{type_label(base)} (restricted)" if base is not None else "(anonymous type)"


def facets(simple: Any) -> dict[str, Any]:
    """Patterns, lengths and enumeration of a simple type (for strategies and reports)."""
    found: dict[str, Any] = {}
    current = simple
    while current is not None and not str(getattr(current, "name", "") or "").startswith(
            f"{{{XSD_NS}}}"):
        patterns = getattr(current, "patterns", None)
        if patterns is not None and "patterns" not in found:
            found["patterns"] = list(patterns.regexps)
        for key in ("min_length", "max_length", "enumeration"):
            value = getattr(current, key, None)
            if value is not None and key not in found:
                found[key] = value
        current = getattr(current, "base_type", None)
    return found
