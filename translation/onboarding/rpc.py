"""rpc-style operations as body elements: one schema declaration per wrapper.

In rpc style (WSDL 1.1 §3.5, SOAP 1.1 §7) the body holds one *wrapper* element
named after the operation (``op`` for the request, ``opResponse`` for the
answer, by the convention every toolkit follows) in the ``soap:body``
namespace, and inside it one unqualified accessor per message part, typed by
the part's ``type`` (or the part's ``element`` itself). No schema declares that
wrapper: :func:`rpc_documents` writes the declaration the WSDL implies, so that
an rpc operation is, for the scaffold, the mapping engine and libxml2, one body
element like a document/literal one.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from contracts.errors import FieldIssue
from translation.onboarding.errors import InvalidSchema
from translation.onboarding.wsdl import XSD_NS, Direction, Operation, Port

_XS = f"{{{XSD_NS}}}"
_DIRECTIONS = (("input", ""), ("output", "Response"))


def is_rpc(operation: Operation) -> bool:
    """Whether ``operation`` is bound in rpc style."""
    return operation.style.strip() == "rpc"


def is_encoded(operation: Operation) -> bool:
    """Whether either direction of ``operation`` is SOAP-encoded (``use="encoded"``)."""
    return any(d is not None and d.use == "encoded" for d in (operation.input, operation.output))


def wrapper_name(operation: Operation, direction: str, default_namespace: str) -> str:
    """Clark name of the wrapper element of ``direction`` (``input`` or ``output``)."""
    suffix = dict(_DIRECTIONS)[direction]
    io: Direction | None = getattr(operation, direction)
    namespace = (io.namespace if io is not None else "") or default_namespace
    local = f"{operation.name.strip()}{suffix}"
    return f"{{{namespace}}}{local}" if namespace else local


def rpc_documents(
    ports: Iterable[Port], default_namespace: str, existing: Iterable[etree._Element]
) -> list[etree._Element]:
    """Schema documents declaring the wrapper element of every rpc operation's directions.

    ``existing`` are the WSDL's own schema documents: a wrapper whose name a
    global element already has is refused (the WSDL then says two things).
    """
    existing = list(existing)
    declared = _global_elements(existing)
    types = _global_types(existing)
    wrappers: dict[str, tuple[Direction, str]] = {}
    for port in ports:
        for operation in port.operations:
            if not is_rpc(operation):
                continue
            for direction, _ in _DIRECTIONS:
                io = getattr(operation, direction)
                if io is None:
                    continue
                name = wrapper_name(operation, direction, default_namespace)
                _check_name(name, operation, io)
                if name in declared:
                    reason = (f"the rpc wrapper {name} of operation {operation.name} is also "
                              f"declared as a global element at {declared[name]}")
                    raise InvalidSchema(f"{io.where}: {reason}", issues=(
                        FieldIssue(path=io.where, reason=reason, code="rpc-wrapper-clash"),))
                wrappers.setdefault(name, (io, operation.name))
    by_namespace: dict[str, list[etree._Element]] = {}
    for name, (io, _) in wrappers.items():
        qname = etree.QName(name)
        by_namespace.setdefault(qname.namespace or "", []).append(
            _wrapper(qname.localname, io, set(declared), types))
    return [_document(namespace, elements) for namespace, elements in by_namespace.items()]


def _check_name(name: str, operation: Operation, io: Direction) -> None:
    """An rpc wrapper is named after its operation: the name must be an XML name."""
    try:
        etree.QName(name)
    except ValueError:
        reason = (f"operation name {operation.name!r} is not an XML name, and an rpc "
                  "operation's wrapper element is named after it")
        raise InvalidSchema(f"{io.where}: {reason}", issues=(
            FieldIssue(path=io.where, reason=reason, code="rpc-wrapper-name"),)) from None


def _global_elements(documents: Iterable[etree._Element]) -> dict[str, str]:
    found = {}
    for document in documents:
        namespace = document.get("targetNamespace", "")
        for element in document.iterchildren(f"{_XS}element"):
            name = (element.get("name") or "").strip()
            found[f"{{{namespace}}}{name}" if namespace else name] = (
                f"line {element.sourceline}")
    return found


def _global_types(documents: Iterable[etree._Element]) -> set[str]:
    found = set()
    for document in documents:
        namespace = document.get("targetNamespace", "")
        for kind in ("complexType", "simpleType"):
            for declared in document.iterchildren(f"{_XS}{kind}"):
                name = (declared.get("name") or "").strip()
                found.add(f"{{{namespace}}}{name}" if namespace else name)
    return found


def _wrapper(local: str, io: Direction, elements: set[str], types: set[str]) -> etree._Element:
    """``<xs:element name=local>`` with one accessor per body part, in message order.

    A part whose element or type no schema declares gets ``xs:anyType``: the
    scaffold's reference check then reports it with its place and nearest match,
    rather than the compiler without either.
    """
    element = etree.Element(f"{_XS}element", name=local)
    sequence = etree.SubElement(etree.SubElement(element, f"{_XS}complexType"), f"{_XS}sequence")
    for part in io.body:
        if part.element is not None and part.element in elements:
            etree.SubElement(sequence, f"{_XS}element", ref=part.element)
        else:
            declared = part.type is not None and (
                part.type in types or part.type.startswith(_XS))
            accessor = etree.SubElement(sequence, f"{_XS}element", name=part.name,
                                        type=part.type if declared else f"{_XS}anyType")
            if io.use == "encoded":
                accessor.set("nillable", "true")  # an encoded accessor may be xsi:nil
    return element


def _document(namespace: str, elements: list[etree._Element]) -> etree._Element:
    """A schema document for ``namespace`` with QName values written with declared prefixes."""
    used: dict[str, str] = {XSD_NS: "xs"}
    for element in elements:
        for node in element.iter(f"{_XS}element"):
            for attribute in ("type", "ref"):
                value = node.get(attribute)
                if value and value.startswith("{"):
                    qname = etree.QName(value)
                    prefix = used.setdefault(qname.namespace or "", f"p{len(used)}")
                    node.set(attribute, f"{prefix}:{qname.localname}")
    nsmap = {prefix: ns for ns, prefix in used.items() if ns}
    schema = etree.Element(f"{_XS}schema", nsmap=nsmap)
    if namespace:
        schema.set("targetNamespace", namespace)
    for imported in used:
        if imported and imported not in (XSD_NS, namespace):
            etree.SubElement(schema, f"{_XS}import", namespace=imported)
    schema.extend(elements)
    return schema
