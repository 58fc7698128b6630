"""Every leaf under a schema element: its XPath (with prefixes), XSD type and cardinality.

A leaf is what a mapping maps: an element with simple content, an attribute,
an ``xs:any`` wildcard, or an element that has no content at all. Cardinality is
per step (``[min..max]``, ``*`` for unbounded), folded through the model groups
between an element and its parent (a choice makes each branch optional, a
repeating sequence repeats its elements).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from xmlschema import XMLSchemaException
from xmlschema.validators import XsdAnyElement, XsdElement, XsdGroup

from translation.onboarding.references import split_clark
from translation.onboarding.schemas import SchemaSet

XSD_NS = "http://www.w3.org/2001/XMLSchema"
# WS-I Attachments Profile: an element of this type carries a cid: reference to a MIME part.
SWAREF = "{http://ws-i.org/profiles/basic/1.1/xsd}swaRef"
MAX_DEPTH = 40
_ENUM_SHOWN = 12


@dataclass(frozen=True)
class Leaf:
    """One mappable node: ``/tns:a/tns:b`` or ``/tns:a/@attr``, its type and ``[min..max]``."""

    path: str
    type: str
    occurs: str
    notes: tuple[str, ...] = ()
    mappable: bool = True
    # Paths of the elements on the way (the leaf's own included) that may occur more than
    # once, outermost first: where a mapping needs a [[...list]] block.
    repeats: tuple[str, ...] = ()
    attachment: str = ""  # "swaRef" when the leaf refers to a MIME attachment


class Prefixes:
    """Namespace prefixes for paths and types: the WSDL's own first, ``xs`` for XSD."""

    def __init__(self, *preferred: Mapping[str | None, str]) -> None:
        """``preferred``: namespace maps in order of precedence (the WSDL's, then its schemas')."""
        self._by_ns: dict[str, str] = {XSD_NS: "xs"}
        for nsmap in preferred:
            for prefix, namespace in nsmap.items():
                if prefix and namespace not in self._by_ns and prefix not in self._by_ns.values():
                    self._by_ns[namespace] = prefix
        self._used: set[str] = set()

    def qname(self, key: str) -> str:
        """``prefix:local`` for a Clark name (a fresh ``nsN`` prefix when needed)."""
        namespace, local = split_clark(key)
        if not namespace:
            return local
        prefix = self._by_ns.get(namespace)
        if prefix is None:
            n = 1
            while f"ns{n}" in self._by_ns.values():
                n += 1
            prefix = self._by_ns[namespace] = f"ns{n}"
        self._used.add(namespace)
        return f"{prefix}:{local}"

    def table(self) -> dict[str, str]:
        """prefix → namespace for every namespace a path or type used, sorted by prefix."""
        return dict(sorted((self._by_ns[ns], ns) for ns in self._used))


def occurs(min_occurs: int, max_occurs: int | None) -> str:
    """``[1..1]``, ``[0..*]``."""
    return f"[{min_occurs}..{'*' if max_occurs is None else max_occurs}]"


class LeafWalker:
    """Lists the leaves under global elements of one compiled :class:`SchemaSet`."""

    def __init__(self, schemas: SchemaSet, prefixes: Prefixes) -> None:
        self._schemas = schemas
        self._prefixes = prefixes
        self._repeats: list[str] = []  # repeating elements above the walk's position

    def element(self, element: Any) -> list[Leaf]:
        """The leaves of a global element (its own path starts at ``/``)."""
        out: list[Leaf] = []
        self._element(element, "", (element.min_occurs, element.max_occurs), (), out)
        return out

    def typed(self, name: str, xsd_type: Any) -> list[Leaf]:
        """The leaves of an rpc-style part: an element ``name`` of type ``xsd_type``."""
        out: list[Leaf] = []
        self._content(f"/{name}", xsd_type, (1, 1), (), out, nillable=False)
        return out

    def _element(
        self,
        element: Any,
        parent: str,
        occ: tuple[int, int | None],
        stack: tuple[Any, ...],
        out: list[Leaf],
    ) -> None:
        if not element.name:  # a declaration a lax compile kept although it has no name
            out.append(self._leaf(f"{parent}/?", "?", occ, ("UNNAMED: schema error",), False))
            return
        path = f"{parent}/{self._prefixes.qname(element.name)}"
        repeated = occ[1] is None or occ[1] > 1
        if repeated:
            self._repeats.append(path)
        try:
            unresolved = self._unresolved_reference(element)
            if unresolved:
                out.append(self._leaf(path, "?", occ, (f"UNRESOLVED: {unresolved}",), False))
                return
            self._content(path, element.type, occ, stack, out, nillable=bool(element.nillable))
        finally:
            if repeated:
                self._repeats.pop()

    def _leaf(
        self,
        path: str,
        type_name: str,
        occ: tuple[int, int | None],
        notes: tuple[str, ...] = (),
        mappable: bool = True,
    ) -> Leaf:
        return Leaf(path, type_name, occurs(*occ), notes, mappable, tuple(self._repeats))

    def _content(
        self,
        path: str,
        xsd_type: Any,
        occ: tuple[int, int | None],
        stack: tuple[Any, ...],
        out: list[Leaf],
        *,
        nillable: bool,
    ) -> None:
        notes = ("nillable",) if nillable else ()
        if xsd_type.name == SWAREF or (getattr(xsd_type, "base_type", None) is not None and (
            xsd_type.base_type.name == SWAREF
        )):
            note = "ATTACHMENT (swaRef): a cid: reference to a MIME part"
            leaf = self._leaf(path, self._type_name(xsd_type), occ, (*notes, note))
            out.append(replace(leaf, attachment="swaRef"))
            return
        if xsd_type.is_simple():
            out.append(
                self._leaf(path, self._type_name(xsd_type), occ, notes + self._facets(xsd_type))
            )
            return
        if xsd_type in stack or len(stack) > MAX_DEPTH:
            reason = "recursive: same type as an ancestor" if xsd_type in stack else "too deep"
            out.append(self._leaf(path, self._type_name(xsd_type), occ, (reason,), False))
            return
        if xsd_type.name == f"{{{XSD_NS}}}anyType":
            out.append(self._leaf(path, "xs:anyType", occ, (*notes, "any content")))
            return
        before = len(out)
        if xsd_type.has_simple_content():
            out.append(
                self._leaf(
                    path,
                    self._type_name(xsd_type.content),
                    occ,
                    notes + self._facets(xsd_type.content),
                )
            )
        self._attributes(path, xsd_type, out)
        if not xsd_type.has_simple_content():
            self._group(xsd_type.content, path, (1, 1), (*stack, xsd_type), out)
        if len(out) == before:
            out.append(self._leaf(path, "(empty)", occ, (*notes, "no content"), False))

    def _attributes(self, path: str, xsd_type: Any, out: list[Leaf]) -> None:
        for name, attribute in xsd_type.attributes.items():
            if name is None or attribute.use == "prohibited":
                continue  # None is xs:anyAttribute
            required = attribute.use == "required"
            out.append(
                self._leaf(
                    f"{path}/@{self._prefixes.qname(name)}",
                    self._type_name(attribute.type),
                    (int(required), 1),
                    self._facets(attribute.type),
                )
            )

    def _group(
        self,
        group: Any,
        path: str,
        outer: tuple[int, int | None],
        stack: tuple[Any, ...],
        out: list[Leaf],
    ) -> None:
        if not isinstance(group, XsdGroup):
            return
        branches = len(group) if group.model == "choice" else 1
        g_min = outer[0] * group.min_occurs * (0 if branches > 1 else 1)
        g_max = _times(outer[1], group.max_occurs)
        for item in group:
            occ = (g_min * item.min_occurs, _times(g_max, item.max_occurs))
            if isinstance(item, XsdGroup):
                self._group(item, path, (g_min, g_max), stack, out)
            elif isinstance(item, XsdElement):
                self._element(item, path, occ, stack, out)
            elif isinstance(item, XsdAnyElement):
                namespace = " ".join(item.namespace) if item.namespace else "##any"
                out.append(self._leaf(f"{path}/*", "xs:any", occ, (f"namespace {namespace}",)))

    def _unresolved_reference(self, element: Any) -> str | None:
        """Why ``element`` cannot be described: its name or type is in an unresolved import."""
        if self._schemas.is_unresolved(element.name):
            return f"element {self._prefixes.qname(element.name)} (its schema was not resolved)"
        written = element.elem.get("type") if element.elem is not None else None
        if written:
            try:
                key = element.schema.resolve_qname(written)
            except (KeyError, ValueError, XMLSchemaException):
                return f"type {written} (its prefix is undeclared or its namespace not imported)"
            if self._schemas.is_unresolved(key):
                return f"type {self._prefixes.qname(key)} (its schema was not resolved)"
        return None

    def _type_name(self, xsd_type: Any) -> str:
        if xsd_type.name:
            return self._prefixes.qname(xsd_type.name)
        if xsd_type.is_simple():
            if hasattr(xsd_type, "item_type"):
                return f"list of {self._type_name(xsd_type.item_type)}"
            if hasattr(xsd_type, "member_types"):
                return "union of " + " | ".join(self._type_name(t) for t in xsd_type.member_types)
            base = getattr(xsd_type, "base_type", None)
            if base is not None:
                return f"{self._type_name(base)} (restricted)"
        return "(anonymous type)"

    @staticmethod
    def _facets(xsd_type: Any) -> tuple[str, ...]:
        values = getattr(xsd_type, "enumeration", None)
        if not values:
            return ()
        shown = " | ".join(str(v) for v in values[:_ENUM_SHOWN])
        more = f" | ... ({len(values)} values)" if len(values) > _ENUM_SHOWN else ""
        return (f"one of: {shown}{more}",)


def _times(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a * b
