"""The WSDL 1.1 the hub serves for its own SOAP ingress (SOAP 1.1 and 1.2, document/literal).

Two bindings of one port type, at the same address: SOAP 1.1 (the first port,
which toolkits pick by default) and SOAP 1.2 (``<Service>Soap12Port``).

Types are the contracts' XSD (:mod:`contracts.xsd`), so any SOAP toolkit that
reads the WSDL sends exactly the XML :class:`translation.contract_xml.ContractXmlCodec`
decodes. Each operation takes its request contract's element as the body and
answers with its response contract's element; ``soapAction`` is the operation
name. The X-Road-like envelope headers (``client``, ``correlationId``) are
declared as header parts of every input; zeep and other toolkits may omit them.

An operation whose answers are minimised (``WsdlOperation.minimised``: the
service declares purposes, and the hub answers only the fields the caller's
purpose and consent allow) answers with its response element typed
``Partial<Name>``: the same sequence with every element optional, nested
contracts too. So the answers the hub sends validate against the WSDL it
serves, while requests — and every other use of the nested types — keep the
contract's own, strict types.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from contracts.base import Contract
from contracts.xsd import CONTRACTS_NS, XS_NS, element_name, schema_element

HEADER_NS = "urn:interop-hub:envelope:1"
SERVICES_NS = "urn:interop-hub:services:1"
HEADER_ELEMENTS = ("client", "correlationId", "purpose")

WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
WSDL_SOAP12_NS = "http://schemas.xmlsoap.org/wsdl/soap12/"
SOAP_HTTP_TRANSPORT = "http://schemas.xmlsoap.org/soap/http"

_W = f"{{{WSDL_NS}}}"
_S = f"{{{WSDL_SOAP_NS}}}"
_S12 = f"{{{WSDL_SOAP12_NS}}}"
_XS = f"{{{XS_NS}}}"
_HEADERS_MESSAGE = "HubHeaders"
_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_HEADER_DOCS = {
    "client": "The calling department as region/department, e.g. north/tax.",
    "correlationId": "Identifies the exchange end to end, across HTTP, SOAP and NATS hops.",
    "purpose": "Why the client asks, one of the service's declared purposes "
    "(e.g. benefit-eligibility); the answer holds only the fields it allows.",
}


@dataclass(frozen=True)
class WsdlOperation:
    """One SOAP operation: its name (also the soapAction) and its contracts."""

    name: str
    request: type[Contract]
    response: type[Contract]
    documentation: str = ""
    minimised: bool = False  # answers carry only the fields a purpose allows


def render_wsdl(
    operations: Sequence[WsdlOperation],
    *,
    service_name: str,
    location: str,
    target_namespace: str = SERVICES_NS,
) -> bytes:
    """A WSDL 1.1 document (UTF-8 bytes) describing ``operations`` at ``location``."""
    names = [operation.name for operation in operations]
    if not names or len(set(names)) != len(names):
        raise ValueError(f"operations must be non-empty with unique names, got {names}")
    for name in [service_name, *names]:
        # These names end up inside QNames (tns:{service_name}Binding), so they must be NCNames.
        if not _NCNAME.match(name):
            raise ValueError(f"{name!r} is not usable as a WSDL name (letters, digits, _ . -)")
    definitions = etree.Element(
        _W + "definitions",
        nsmap={
            "wsdl": WSDL_NS,
            "soap": WSDL_SOAP_NS,
            "soap12": WSDL_SOAP12_NS,
            "xs": XS_NS,
            "tns": target_namespace,
            "c": CONTRACTS_NS,
            "h": HEADER_NS,
        },
        name=service_name,
        targetNamespace=target_namespace,
    )
    _types(definitions, operations)
    _messages(definitions, operations)
    _port_type(definitions, operations, service_name)
    service = etree.SubElement(definitions, _W + "service", name=service_name)
    # SOAP 1.1 first: toolkits that take the first port keep speaking 1.1.
    for soap, suffix in ((_S, ""), (_S12, "Soap12")):
        _binding(definitions, operations, service_name, soap, suffix)
        port = etree.SubElement(service, _W + "port", name=f"{service_name}{suffix}Port",
                                binding=f"tns:{service_name}{suffix}Binding")
        etree.SubElement(port, soap + "address", location=location)
    # The bindings must precede the service element (WSDL 1.1 order): move it last.
    definitions.append(service)
    return etree.tostring(definitions, pretty_print=True, xml_declaration=True, encoding="UTF-8")


def _types(definitions: etree._Element, operations: Sequence[WsdlOperation]) -> None:
    models: dict[type[Contract], None] = {}
    for operation in operations:
        models.update({operation.request: None, operation.response: None})
    types = etree.SubElement(definitions, _W + "types")
    schema = schema_element(models, target_namespace=CONTRACTS_NS, parent=types)
    requests = {element_name(o.request) for o in operations}
    for name in sorted({element_name(o.response) for o in operations if o.minimised}):
        if name in requests:
            raise ValueError(f"{name} is a request and a minimised answer: one element cannot "
                             "be both strict and partial")
        element = schema.find(f"{_XS}element[@name='{name}']")
        assert element is not None  # schema_element made one per model
        element.set("type", f"tns:{_partial_type(schema, name)}")
    headers = etree.SubElement(
        types,
        _XS + "schema",
        nsmap={"xs": XS_NS},
        targetNamespace=HEADER_NS,
        elementFormDefault="qualified",
    )
    for name in HEADER_ELEMENTS:
        element = etree.SubElement(headers, _XS + "element", name=name, type="xs:string")
        annotation = etree.SubElement(element, _XS + "annotation")
        etree.SubElement(annotation, _XS + "documentation").text = _HEADER_DOCS[name]


def _partial_type(schema: etree._Element, name: str) -> str:
    """Add ``Partial<name>`` (once): complexType ``name`` with every element optional."""
    partial = f"Partial{name}"
    if schema.find(f"{_XS}complexType[@name='{partial}']") is not None:
        return partial
    original = schema.find(f"{_XS}complexType[@name='{name}']")
    if original is None:
        raise ValueError(f"no complexType {name} to make a partial twin of")
    twin = copy.deepcopy(original)
    twin.set("name", partial)
    documentation = twin.find(f"{_XS}annotation/{_XS}documentation")
    if documentation is not None:
        documentation.text = (documentation.text or "") + (
            " As the hub answers it: only the fields the caller's purpose and consent allow, "
            "so every element may be absent.")
    schema.append(twin)
    for element in twin.iter(_XS + "element"):
        element.set("minOccurs", "0")
        kind = element.get("type", "")
        nested = kind.removeprefix("tns:")
        if kind.startswith("tns:") and schema.find(
                f"{_XS}complexType[@name='{nested}']") is not None:
            element.set("type", f"tns:{_partial_type(schema, nested)}")
    return partial


def _messages(definitions: etree._Element, operations: Sequence[WsdlOperation]) -> None:
    for operation in operations:
        for suffix, model in (("Request", operation.request), ("Response", operation.response)):
            message = etree.SubElement(definitions, _W + "message", name=operation.name + suffix)
            etree.SubElement(message, _W + "part", name="body", element=f"c:{element_name(model)}")
    message = etree.SubElement(definitions, _W + "message", name=_HEADERS_MESSAGE)
    for name in HEADER_ELEMENTS:
        etree.SubElement(message, _W + "part", name=name, element=f"h:{name}")


def _port_type(
    definitions: etree._Element, operations: Sequence[WsdlOperation], service_name: str
) -> None:
    port_type = etree.SubElement(definitions, _W + "portType", name=f"{service_name}PortType")
    for operation in operations:
        element = etree.SubElement(port_type, _W + "operation", name=operation.name)
        if operation.documentation:
            etree.SubElement(element, _W + "documentation").text = operation.documentation
        etree.SubElement(element, _W + "input", message=f"tns:{operation.name}Request")
        etree.SubElement(element, _W + "output", message=f"tns:{operation.name}Response")


def _binding(
    definitions: etree._Element, operations: Sequence[WsdlOperation], service_name: str,
    soap: str, suffix: str,
) -> None:
    """The document/literal binding in one SOAP version (``soap``: the WSDL binding namespace)."""
    binding = etree.SubElement(
        definitions,
        _W + "binding",
        name=f"{service_name}{suffix}Binding",
        type=f"tns:{service_name}PortType",
    )
    etree.SubElement(binding, soap + "binding", style="document", transport=SOAP_HTTP_TRANSPORT)
    for operation in operations:
        element = etree.SubElement(binding, _W + "operation", name=operation.name)
        etree.SubElement(element, soap + "operation", soapAction=operation.name, style="document")
        request = etree.SubElement(element, _W + "input")
        etree.SubElement(request, soap + "body", use="literal")
        for name in HEADER_ELEMENTS:
            etree.SubElement(
                request, soap + "header", message=f"tns:{_HEADERS_MESSAGE}", part=name,
                use="literal",
            )
        response = etree.SubElement(element, _W + "output")
        etree.SubElement(response, soap + "body", use="literal")
