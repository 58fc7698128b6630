"""WSDL 1.1 read offline: services, ports, bound operations and the message parts they carry.

:func:`read_wsdl` collects the declarations of a WSDL and of the WSDLs it
imports; :func:`bind_ports` follows service → port → binding → portType →
message → part and returns, per port, each bound operation with its body and
header parts. Every QName is resolved through a :class:`ReferenceChecker`, so a
reference that dangles is reported with its place and nearest match instead of
surfacing as an IndexError deep inside a SOAP library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lxml import etree

from contracts.errors import FieldIssue
from translation.onboarding.errors import UnreadableDocument
from translation.onboarding.loader import OfflineLoader, Source
from translation.onboarding.mime import Attachment, multipart_related
from translation.onboarding.references import Reference, ReferenceChecker
from translation.onboarding.report import SKIPPED_BINDING, Tolerated
from translation.xroad_headers import XROAD_NS

WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
WSDL20_NS = "http://www.w3.org/ns/wsdl"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
SOAP_BINDINGS = {
    "http://schemas.xmlsoap.org/wsdl/soap/": "1.1",
    "http://schemas.xmlsoap.org/wsdl/soap12/": "1.2",
}
_W = f"{{{WSDL_NS}}}"


@dataclass(frozen=True)
class Unresolved:
    """An import whose location is a URL the catalog does not map onto a local file."""

    url: str
    namespace: str
    where: str


@dataclass(frozen=True)
class Part:
    """A message part: a global element (document style) or a type (rpc style)."""

    name: str
    element: str | None  # Clark notation
    type: str | None
    where: str


@dataclass(frozen=True)
class Direction:
    """The input or output of a bound operation: the parts in soap:Body and in soap:Header."""

    message: str
    body: tuple[Part, ...]
    headers: tuple[Part, ...]
    attachments: tuple[Attachment, ...] = ()
    use: str = "literal"  # soap:body use: literal or encoded (SOAP encoding)
    namespace: str = ""  # soap:body namespace: an rpc operation's wrapper element lives there
    where: str = ""  # file:line of the soap:body (or of the abstract input/output)


@dataclass(frozen=True)
class Operation:
    """One operation as a binding exposes it."""

    name: str
    soap_action: str
    style: str
    input: Direction | None
    output: Direction | None
    documentation: str = ""
    xroad_version: str = ""  # the binding's <xrd:version> (X-Road service version), if any


@dataclass(frozen=True)
class Port:
    """One port of a service, with the operations of its binding."""

    service: str
    name: str
    binding: str
    soap_version: str
    address: str
    operations: tuple[Operation, ...]


@dataclass
class WsdlDocuments:
    """Declarations collected from a WSDL and the WSDLs it imports, keyed by Clark name."""

    path: Path
    target_namespace: str
    namespaces: dict[str, str]
    messages: dict[str, etree._Element] = field(default_factory=dict)
    port_types: dict[str, etree._Element] = field(default_factory=dict)
    bindings: dict[str, etree._Element] = field(default_factory=dict)
    services: list[etree._Element] = field(default_factory=list)
    schemas: list[tuple[etree._Element, Path]] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)


def read_wsdl(path: Path, loader: OfflineLoader) -> WsdlDocuments:
    """Read the WSDL at ``path`` and every ``wsdl:import`` it reaches (offline)."""
    root = loader.read(Source(path.resolve()))
    _check_root(root, path)
    docs = WsdlDocuments(
        path=path.resolve(),
        target_namespace=root.get("targetNamespace", ""),
        namespaces={p: u for p, u in root.nsmap.items() if p},
    )
    _collect(root, path.resolve(), loader, docs, seen=set())
    return docs


def _check_root(root: etree._Element, path: Path) -> None:
    if root.tag == f"{_W}definitions":
        return
    if root.tag == f"{{{WSDL20_NS}}}description":
        reason = "WSDL 2.0 is not supported; only WSDL 1.1 (SOAP 1.1/1.2 bindings)"
    else:
        reason = f"root element is {root.tag}, not a WSDL 1.1 {_W}definitions"
    raise UnreadableDocument(
        f"{path}: {reason}", issues=(FieldIssue(path=str(path), reason=reason, code="not-wsdl"),)
    )


def _collect(
    root: etree._Element, path: Path, loader: OfflineLoader, docs: WsdlDocuments, seen: set[Path]
) -> None:
    seen.add(path)
    tns = root.get("targetNamespace", "")
    for child in root:
        if child.tag == f"{_W}import":
            _follow_import(child, path, loader, docs, seen)
        elif child.tag == f"{_W}types":
            docs.schemas.extend((s, path) for s in child if s.tag == f"{{{XSD_NS}}}schema")
        elif child.tag in (f"{_W}message", f"{_W}portType", f"{_W}binding"):
            table = {
                "message": docs.messages,
                "portType": docs.port_types,
                "binding": docs.bindings,
            }[etree.QName(child).localname]
            table[f"{{{tns}}}{child.get('name', '').strip()}"] = child
        elif child.tag == f"{_W}service":
            docs.services.append(child)


def _follow_import(
    element: etree._Element,
    path: Path,
    loader: OfflineLoader,
    docs: WsdlDocuments,
    seen: set[Path],
) -> None:
    location = element.get("location", "")
    source = loader.locate(location, path) if location else None
    if source is None:
        docs.unresolved.append(Unresolved(location, element.get("namespace", ""), where(element)))
        return
    if source.path in seen:
        return
    try:
        imported = loader.read(source)
    except UnreadableDocument as exc:
        reason = f"{where(element)}: wsdl:import of {location}: {exc.message}"
        raise UnreadableDocument(reason, issues=exc.issues) from None
    if imported.tag == f"{{{XSD_NS}}}schema":  # some WSDLs wsdl:import their XSD
        docs.schemas.append((imported, source.path))
        return
    _check_root(imported, source.path)
    _collect(imported, source.path, loader, docs, seen)


def where(element: etree._Element) -> str:
    """``file:line`` of an element (its document's file name, as the loader recorded it)."""
    url = element.getroottree().docinfo.URL
    name = Path(unquote(urlsplit(url).path)).name if url else "?"
    return f"{name}:{element.sourceline}"


def qname_key(element: etree._Element, text: str) -> str:
    """Clark notation of a QName attribute value, using the element's namespace scope."""
    prefix, sep, local = text.strip().rpartition(":")
    namespace = element.nsmap.get(prefix if sep else None, "")
    return f"{{{namespace}}}{local}" if namespace else local


def bind_ports(docs: WsdlDocuments, checker: ReferenceChecker) -> tuple[Port, ...]:
    """Every SOAP port of every service, with its bound operations (references checked)."""
    ports = []
    for service in docs.services:
        for port in service.iter(f"{_W}port"):
            bound = _port(docs, checker, service.get("name", ""), port)
            if bound is not None:
                ports.append(bound)
    return tuple(ports)


def _ref(element: etree._Element, attribute: str, kind: str, context: str) -> Reference:
    text = element.get(attribute, "")
    return Reference(kind, text, qname_key(element, text), where(element), context)


def _port(
    docs: WsdlDocuments, checker: ReferenceChecker, service: str, port: etree._Element
) -> Port | None:
    name = port.get("name", "")
    context = f"service {service}, port {name}"
    binding = checker.resolve(_ref(port, "binding", "binding", context), docs.bindings)
    if binding is None:
        return None
    soap = _soap_child(binding, "binding")
    if soap is None:  # an HTTP or MIME-only binding: nothing SOAP to scaffold
        construct = f"binding {binding.get('name', '')} (port {name})"
        checker.tolerated.add(
            Tolerated.at(binding, SKIPPED_BINDING, construct, "skipped: not a SOAP binding")
        )
        return None
    address = _soap_child(port, "address")
    bname = binding.get("name", "")
    port_type = checker.resolve(
        _ref(binding, "type", "portType", f"binding {bname}"), docs.port_types
    )
    operations = []
    for bound in binding.iter(f"{_W}operation"):
        operation = _operation(docs, checker, bname, bound, port_type, soap)
        if operation is not None:
            operations.append(operation)
    return Port(
        service,
        name,
        bname,
        SOAP_BINDINGS[etree.QName(soap).namespace or ""],
        address.get("location", "") if address is not None else "",
        tuple(operations),
    )


def _soap_child(element: etree._Element, local: str) -> etree._Element | None:
    for child in element:
        qname = etree.QName(child) if isinstance(child.tag, str) else None
        if qname is not None and qname.namespace in SOAP_BINDINGS and qname.localname == local:
            return child
    return None


def _operation(
    docs: WsdlDocuments,
    checker: ReferenceChecker,
    binding: str,
    bound: etree._Element,
    port_type: etree._Element | None,
    soap_binding: etree._Element,
) -> Operation | None:
    name = bound.get("name", "").strip()
    context = f"binding {binding}, operation {name}"
    abstract = None
    if port_type is not None:
        declared = {op.get("name", "").strip(): op for op in port_type.iter(f"{_W}operation")}
        ref = Reference("operation", name, name, where(bound), context)
        abstract = checker.resolve(ref, declared)
    if abstract is None:
        return None
    soap_op = _soap_child(bound, "operation")
    style = (soap_op.get("style") if soap_op is not None else None) or soap_binding.get(
        "style", "document"
    )
    directions = {}
    for local in ("input", "output"):
        abstract_io = abstract.find(f"{_W}{local}")
        if abstract_io is not None:
            directions[local] = _direction(
                docs, checker, f"{context}, {local}", abstract_io, bound.find(f"{_W}{local}")
            )
    return Operation(
        name=name,
        soap_action=soap_op.get("soapAction", "") if soap_op is not None else "",
        style=style,
        input=directions.get("input"),
        output=directions.get("output"),
        documentation=_documentation(abstract),
        xroad_version=(bound.findtext(f"{{{XROAD_NS}}}version") or "").strip(),
    )


def _direction(
    docs: WsdlDocuments,
    checker: ReferenceChecker,
    context: str,
    abstract_io: etree._Element,
    bound_io: etree._Element | None,
) -> Direction | None:
    message = checker.resolve(_ref(abstract_io, "message", "message", context), docs.messages)
    if message is None:
        return None
    parts = _parts(docs, message)
    body_el = _soap_child(bound_io, "body") if bound_io is not None else None
    mime_body, attachments = multipart_related(bound_io, SOAP_BINDINGS, checker.tolerated)
    body_el = body_el if body_el is not None else mime_body
    attached = {a.part for a in attachments}
    listed = body_el.get("parts") if body_el is not None else None
    if listed is None:
        body = [p for p in parts.values() if p.name not in attached]
    else:
        body = [
            p for n in listed.split() if (p := _part(checker, docs, parts, n, body_el, context))
        ]
    headers = []
    around_body = list(mime_body.getparent()) if mime_body is not None else []
    for header in [*(bound_io if bound_io is not None else []), *around_body]:
        if (
            isinstance(header.tag, str)
            and etree.QName(header).localname == "header"
            and etree.QName(header).namespace in SOAP_BINDINGS
        ):
            found = _header_part(docs, checker, header, f"{context} soap:header")
            if found is not None:
                headers.append(found)
    return Direction(
        abstract_io.get("message", ""),
        tuple(body),
        tuple(headers),
        attachments,
        use=(body_el.get("use") or "literal").strip() if body_el is not None else "literal",
        namespace=(body_el.get("namespace") or "").strip() if body_el is not None else "",
        where=where(body_el if body_el is not None else abstract_io),
    )


def _header_part(
    docs: WsdlDocuments, checker: ReferenceChecker, header: etree._Element, context: str
) -> Part | None:
    message = checker.resolve(_ref(header, "message", "message", context), docs.messages)
    if message is None:
        return None
    return _part(checker, docs, _parts(docs, message), header.get("part", ""), header, context)


def _part(
    checker: ReferenceChecker,
    docs: WsdlDocuments,
    parts: dict[str, Part],
    name: str,
    element: etree._Element,
    context: str,
) -> Part | None:
    ref = Reference("part", name, name, where(element), context)
    return checker.resolve(ref, parts)


def _parts(docs: WsdlDocuments, message: etree._Element) -> dict[str, Part]:
    parts = {}
    for part in message.iter(f"{_W}part"):
        element, type_ = part.get("element"), part.get("type")
        # Some toolkits write names with stray spaces ("persNo "): the wire name is trimmed.
        name = part.get("name", "").strip()
        parts[name] = Part(
            name=name,
            element=qname_key(part, element) if element else None,
            type=qname_key(part, type_) if type_ else None,
            where=where(part),
        )
    return parts


def _documentation(operation: etree._Element) -> str:
    doc = operation.find(f"{_W}documentation")
    if doc is None:
        return ""
    return re.sub(r"\s+", " ", " ".join(doc.itertext())).strip()[:300]
