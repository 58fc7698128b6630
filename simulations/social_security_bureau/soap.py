"""SOAP 1.1 on the bureau's side of the wire: hardened envelope parsing, replies and faults."""

from __future__ import annotations

from typing import Literal

from lxml import etree

SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV_NS = "http://www.w3.org/2003/05/soap-envelope"
SOAP_CONTENT_TYPE = "text/xml; charset=utf-8"
MAX_ENVELOPE_BYTES = 64 * 1024

FaultCode = Literal["VersionMismatch", "Client", "Server"]


class SoapFault(Exception):
    """Raised inside the bureau to answer with a SOAP 1.1 Fault (``soap:<code>``)."""

    def __init__(self, code: FaultCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def hardened_parser() -> etree.XMLParser:
    """An lxml parser that never resolves entities, loads DTDs or touches the network."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_pis=True,
    )


def parse_request(body: bytes) -> etree._Element:
    """Parse a SOAP 1.1 request and return the first element inside ``soap:Body``.

    Raises :class:`SoapFault` (``Client`` or ``VersionMismatch``) for anything
    that is not a plain SOAP 1.1 envelope, including any DOCTYPE.
    """
    if len(body) > MAX_ENVELOPE_BYTES:
        raise SoapFault("Client", f"request exceeds {MAX_ENVELOPE_BYTES} bytes")
    try:
        tree = etree.ElementTree(etree.fromstring(body, parser=hardened_parser()))
    except etree.XMLSyntaxError as exc:
        raise SoapFault("Client", f"request is not well-formed XML: {exc}") from None
    # Checked after parsing (not by scanning bytes) so no encoding trick can hide it;
    # the parser has already refused to expand or fetch anything it declares.
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise SoapFault("Client", "DOCTYPE declarations are not allowed")
    root = tree.getroot()
    if root.tag == f"{{{SOAP12_ENV_NS}}}Envelope":
        raise SoapFault("VersionMismatch", "this service speaks SOAP 1.1 only")
    if root.tag != f"{{{SOAP_ENV_NS}}}Envelope":
        raise SoapFault("Client", f"root element is {root.tag}, not a SOAP 1.1 Envelope")
    body_el = root.find(f"{{{SOAP_ENV_NS}}}Body")
    if body_el is None:
        raise SoapFault("Client", "Envelope has no Body")
    payload = next((child for child in body_el if isinstance(child.tag, str)), None)
    if payload is None:
        raise SoapFault("Client", "Body is empty")
    return payload


def _envelope() -> tuple[etree._Element, etree._Element]:
    envelope = etree.Element(f"{{{SOAP_ENV_NS}}}Envelope", nsmap={"soap": SOAP_ENV_NS})
    body = etree.SubElement(envelope, f"{{{SOAP_ENV_NS}}}Body")
    return envelope, body


def reply(payload: etree._Element) -> bytes:
    """Serialise ``payload`` inside a SOAP 1.1 envelope."""
    envelope, body = _envelope()
    body.append(payload)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def fault(code: FaultCode, message: str) -> bytes:
    """Serialise a SOAP 1.1 Fault; ``faultcode`` is qualified with the envelope's prefix."""
    envelope, body = _envelope()
    fault_el = etree.SubElement(body, f"{{{SOAP_ENV_NS}}}Fault")
    # faultcode/faultstring are unqualified in SOAP 1.1.
    etree.SubElement(fault_el, "faultcode").text = f"soap:{code}"
    etree.SubElement(fault_el, "faultstring").text = message
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
