"""Contract instances <-> XML elements, validated by libxml2 against the contracts' XSD.

The per-message path uses one compiled ``lxml.etree.XMLSchema`` (libxml2):
xmlschema's or zeep's pure-Python decoders are about forty times slower. The
schema catches structure, types and facets with precise locations; pydantic
then checks what XSD cannot express (cross-field rules) via
:func:`contracts.validation.validate_contract`.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterator, Sequence
from decimal import Decimal
from enum import Enum
from typing import Any, NamedTuple

from lxml import etree

from contracts.base import Contract
from contracts.errors import FieldIssue
from contracts.validation import validate_contract
from contracts.xsd import CONTRACTS_NS, FieldShape, element_name, field_shapes, schema_element
from translation.errors import MappingError, SchemaViolation
from translation.xml_safety import NOT_XML_CHAR, thread_parser

_EXPECTED = re.compile(r"Expected is (?:one of )?\( (?P<names>[^)]*) \)")
_STEP = re.compile(r"^(?P<name>[^\[]+)(?:\[(?P<index>\d+)\])?$")


class ContractXmlCodec:
    """Decodes and encodes the XML elements of a fixed set of contracts.

    Nested contracts are handled as part of their parents; only the ``models``
    given have global elements that :meth:`decode` accepts.
    """

    def __init__(self, models: Sequence[type[Contract]], *, namespace: str = CONTRACTS_NS) -> None:
        self.namespace = namespace
        self._models = {self._qname(model): model for model in models}
        self._shapes: dict[type[Contract], dict[str, FieldShape]] = {}
        for model in models:
            self._collect_shapes(model)
        # Per model, built once: what each field's element is called and how it is read.
        self._writes = {model: _write_plan(shapes, namespace)
                        for model, shapes in self._shapes.items()}
        self._reads = {model: _read_plan(shapes, namespace)
                       for model, shapes in self._shapes.items()}
        # libxml2 validates without the GIL, but lxml keeps one error log per
        # schema object: serialise validations so each reads its own errors.
        self._lock = threading.Lock()
        try:
            self._schema = etree.XMLSchema(schema_element(models, target_namespace=namespace))
        except etree.XMLSchemaParseError as exc:
            raise ValueError(f"the contracts' XSD does not compile: {exc}") from None

    def _qname(self, model: type[Contract]) -> str:
        return f"{{{self.namespace}}}{element_name(model)}"

    def _collect_shapes(self, model: type[Contract]) -> None:
        if model in self._shapes:
            return
        shapes = {shape.name: shape for shape in field_shapes(model)}
        self._shapes[model] = shapes
        for shape in shapes.values():
            if shape.is_contract:
                self._collect_shapes(shape.kind)

    def model_for(self, element: etree._Element) -> type[Contract]:
        """The contract model of a global element; :class:`SchemaViolation` if there is none."""
        model = self._models.get(element.tag) if isinstance(element.tag, str) else None
        if model is None:
            raise self._unknown(element)
        return model

    def _require_known(self, model: type[Contract]) -> None:
        """Refuse a model that is not one of the codec's own contracts."""
        if self._models.get(self._qname(model)) is not model:
            raise self._unknown(etree.Element(self._qname(model)))

    def _unknown(self, element: etree._Element) -> SchemaViolation:
        tag = element.tag if isinstance(element.tag, str) else repr(element)
        reason = (
            f"element {tag} is not a known contract; expected one of: {', '.join(self._models)}"
        )
        return SchemaViolation(
            reason,
            issues=(
                FieldIssue(path=f"/{_localname(element)}", reason=reason, code="schema-violation"),
            ),
        )

    def decode(self, element: etree._Element) -> Contract:
        """Validate ``element`` against the schema, then build and validate its contract.

        Raises :class:`SchemaViolation` (issue code ``schema-violation``) or
        :class:`contracts.errors.ContractError` for rules only pydantic knows.
        """
        model = self.model_for(element)
        issues = self._validate(element, model)
        if issues:
            raise SchemaViolation(
                f"{model.contract_id()}: {len(issues)} schema violation(s); "
                f"first at {issues[0].path}: {issues[0].reason}",
                issues=issues,
            )
        return validate_contract(model, self._to_data(element, model))

    def _validate(self, element: etree._Element, model: type[Contract]) -> tuple[FieldIssue, ...]:
        with self._lock:
            # Validating an element checks it as the root of its own document.
            valid = self._schema.validate(element)
            errors = () if valid else tuple(self._schema.error_log)
        return tuple(self._issue(element, model, error) for error in errors)

    def _to_data(self, element: etree._Element, model: type[Contract]) -> dict[str, Any]:
        reads = self._reads[model]
        data: dict[str, Any] = {name: [] for name in reads.lists}
        for child in element.iterchildren(tag=etree.Element):
            name, repeated, sub, strip = reads.fields[str(child.tag)]
            value = self._to_data(child, sub) if sub is not None else _text(child, strip)
            if repeated:
                data[name].append(value)
            else:
                data[name] = value
        return data

    def encode(self, contract: Contract) -> etree._Element:
        """The XML element of ``contract``, checked against the same schema as :meth:`decode`.

        Raises :class:`MappingError` (issue code ``not-xml-compatible``) when a
        string holds characters XML cannot carry.
        """
        model = type(contract)
        self._require_known(model)
        element = self._element(contract, model)
        issues = self._validate(element, model)
        if issues:
            # Only a contract allowing more than its XSD can get here: a bug to surface.
            raise SchemaViolation(
                f"{model.contract_id()}: the encoded contract violates its own XSD",
                issues=issues,
            )
        return element

    def encode_partial(self, contract: Contract, model: type[Contract]) -> etree._Element:
        """The element of ``model`` holding only the fields ``contract`` carries.

        For a response cut down to what a purpose may see (hub.service_layer.security.minimise):
        ``contract`` is an all-optional twin of ``model`` whose values were
        validated by the same field types, so each element is written exactly as
        :meth:`encode` would. Elements the purpose hides are absent, which the
        contract's XSD (where they are required) does not allow: no XSD check here.
        The hub WSDL types such answers ``Partial<Name>`` (:mod:`translation.hub_wsdl`).
        """
        self._require_known(model)
        return self._element(contract, model, partial=True)

    def encode_partial_bytes(self, contract: Contract, model: type[Contract]) -> bytes:
        """:meth:`encode_partial`'s element as UTF-8 bytes (no XML declaration), for a reply.

        The text is written straight out, not parsed into a tree and serialised again:
        what a reply does with the element is serialise it. When a value holds a
        character XML cannot carry, the element path raises the error naming its field.
        """
        self._require_known(model)
        text = self._text(contract, model, partial=True)
        if NOT_XML_CHAR.search(text) is None:
            return text.encode()
        return etree.tostring(self._element(contract, model, partial=True), encoding="UTF-8")

    def _element(self, contract: Contract, model: type[Contract], *, partial: bool = False
                 ) -> etree._Element:
        """The element of ``contract``, written as text and parsed by libxml2.

        libxml2 builds a tree from bytes several times faster than lxml adds
        elements one by one. Text that does not parse (a character XML cannot
        carry, a text node beyond libxml2's size limit) is built element by
        element instead, which names the field that cannot be written.
        """
        try:
            return etree.fromstring(self._text(contract, model, partial=partial).encode(),
                                    thread_parser())
        except (ValueError, etree.XMLSyntaxError):
            element = etree.Element(self._qname(model), nsmap={None: self.namespace})
            self._fill(element, contract, f"/{element_name(model)}", model if partial else None)
            return element

    def _text(self, contract: Contract, model: type[Contract], *, partial: bool) -> str:
        """The XML text of ``contract``'s element, its namespace declared on it."""
        name = element_name(model)
        out = [f'<{name} xmlns="{self.namespace}">']
        self._write(out, contract, model if partial else None)
        out.append(f"</{name}>")
        return "".join(out)

    def _write(self, out: list[str], contract: Contract, model: type[Contract] | None) -> None:
        """Append the XML text of ``contract``'s fields (those of ``model`` when given)."""
        for name, _tag, repeated, sub in self._writes[model or type(contract)]:
            value = getattr(contract, name)
            if value is None:
                continue
            for item in value if repeated else (value,):
                if sub is not None:
                    out.append(f"<{name}>")
                    self._write(out, item, sub if model else None)
                    out.append(f"</{name}>")
                else:
                    out.append(f"<{name}>{_escaped(_lexical(item))}</{name}>")

    def _fill(
        self, parent: etree._Element, contract: Contract, path: str,
        model: type[Contract] | None = None,
    ) -> None:
        for name, tag, repeated, sub in self._writes[model or type(contract)]:
            value = getattr(contract, name)
            if value is None:
                continue
            for index, item in enumerate(value if repeated else (value,), start=1):
                child = etree.SubElement(parent, tag)
                if sub is not None:
                    where = f"{path}/{name}" + (f"[{index}]" if repeated else "")
                    self._fill(child, item, where, sub if model else None)
                    continue
                try:
                    child.text = _lexical(item)
                except ValueError:
                    where = f"{path}/{name}" + (f"[{index}]" if repeated else "")
                    raise _not_xml(where, name) from None

    def _issue(
        self, root: etree._Element, model: type[Contract], error: etree._LogEntry
    ) -> FieldIssue:
        """Turn one libxml2 error into a field issue with our path and the contract field."""
        message = error.message.replace(f"{{{self.namespace}}}", "")
        node = _resolve(root, error.path or "")
        path, field, node_model = self._locate(model, root, root if node is None else node)
        if "Missing child element" in message and node_model is not None:
            missing = _missing_field(self._shapes[node_model], error.message)
            if missing:
                path, field = f"{path}/{missing}", f"{field}.{missing}" if field else missing
        return FieldIssue(
            path=path, reason=f"line {error.line}: {message}", code="schema-violation", field=field
        )

    def _locate(
        self, model: type[Contract], root: etree._Element, node: etree._Element
    ) -> tuple[str, str | None, type[Contract] | None]:
        """Path, pydantic-style field and contract model of ``node`` (``root`` or below it).

        E.g. ``/ContributionHistory/periods[2]/start`` and ``periods.1.start``.
        """
        chain = []
        while node is not root and node is not None:
            chain.append(node)
            node = node.getparent()
        steps, fields = [element_name(model)], []
        current: type[Contract] | None = model
        for element in reversed(chain):
            name = _localname(element)
            shape = self._shapes[current].get(name) if current is not None else None
            if shape is not None and shape.repeated:
                index = sum(1 for _ in element.itersiblings(element.tag, preceding=True))
                steps.append(f"{name}[{index + 1}]")
                fields.extend([name, str(index)])
            else:
                steps.append(name)
                fields.append(name)
            current = shape.kind if shape is not None and shape.is_contract else None
        return "/" + "/".join(steps), ".".join(fields) or None, current


def _missing_field(shapes: dict[str, FieldShape], message: str) -> str | None:
    """The first required field among those libxml2 says it expected next."""
    match = _EXPECTED.search(message)
    if match is None:
        return None
    names = [name.strip().rpartition("}")[2] for name in match["names"].split(",")]
    required = [name for name in names if name in shapes and _required(shapes[name])]
    return (required or names)[0]


def _required(shape: FieldShape) -> bool:
    return shape.min_items > 0 if shape.repeated else not shape.optional


def _localname(element: etree._Element) -> str:
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else str(tag)


def _text(element: etree._Element, strip: bool) -> str:
    # Join every text node: a comment splits "19<!-- -->99" in two, libxml2 reads 1999.
    text = "".join(_texts(element)) if len(element) else (element.text or "")
    # XSD collapses whitespace around every non-string built-in type before validating.
    return text.strip() if strip else text


def _texts(element: etree._Element) -> Iterator[str]:
    if element.text:
        yield element.text
    for child in element:
        if child.tail:
            yield child.tail


def _lexical(value: Any) -> str:
    """The XSD lexical form of a scalar contract value."""
    if type(value) is str:
        return value
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):  # datetime included: both isoformat to XSD lexical forms
        return value.isoformat()
    return str(value)


def _escaped(text: str) -> str:
    """``text`` as XML character data; a carriage return is kept as a reference, since a
    parser turns a literal one into a line feed."""
    if "&" in text or "<" in text or ">" in text or "\r" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return text.replace("\r", "&#13;")
    return text


def _not_xml(path: str, field: str) -> MappingError:
    reason = "contains characters XML 1.0 cannot carry (control characters, U+FFFE...)"
    return MappingError(
        f"cannot encode {path}: {reason}",
        issues=(FieldIssue(path=path, reason=reason, code="not-xml-compatible", field=field),),
    )


class _ReadPlan(NamedTuple):
    """How the children of one model's element become its data."""

    # Clark tag -> (field name, repeated, nested model or None, strip whitespace)
    fields: dict[str, tuple[str, bool, type[Contract] | None, bool]]
    lists: tuple[str, ...]


def _read_plan(shapes: dict[str, FieldShape], namespace: str) -> _ReadPlan:
    fields = {
        f"{{{namespace}}}{name}": (name, shape.repeated, shape.kind if shape.is_contract else None,
                                   not shape.is_contract and _collapsed(shape))
        for name, shape in shapes.items()
    }
    return _ReadPlan(fields, tuple(name for name, shape in shapes.items() if shape.repeated))


def _write_plan(shapes: dict[str, FieldShape], namespace: str
                ) -> tuple[tuple[str, str, bool, type[Contract] | None], ...]:
    """(field name, Clark tag, repeated, nested model or None) of each field, in order."""
    return tuple((name, f"{{{namespace}}}{name}", shape.repeated,
                  shape.kind if shape.is_contract else None) for name, shape in shapes.items())


def _collapsed(shape: FieldShape) -> bool:
    """Whether XSD collapses the whitespace of the field's type (all but strings and enums)."""
    return not (shape.kind is str or issubclass(shape.kind, Enum))


def _resolve(root: etree._Element, path: str) -> etree._Element | None:
    """Follow a libxml2 node path (``/*/*[2]``, ``/p:a/p:b[3]``) from ``root``.

    libxml2 reports where an error is as a path in the document it validated;
    for an element that is the element itself (``/step``) and its descendants.
    """
    steps = path.split("/")[2:] if path.startswith("/") else None
    if steps is None:
        return None
    node = root
    for step in steps:
        match = _STEP.match(step)
        if match is None:
            return None
        candidates = [
            child for child in node.iterchildren(tag=etree.Element) if _fits(child, match["name"])
        ]
        index = int(match["index"] or 1) - 1
        if index >= len(candidates):
            return None
        node = candidates[index]
    return node


def _fits(element: etree._Element, name: str) -> bool:
    if name == "*":  # libxml2's spelling of any element in a default namespace
        return True
    prefix, _, local = name.rpartition(":")
    qname = etree.QName(element)
    return qname.localname == local and (element.prefix or "") == prefix
