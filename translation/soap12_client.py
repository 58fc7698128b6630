"""SOAP 1.2 toward providers whose WSDL binds the operation with the soap12 binding.

This is the client side; the hub's own SOAP 1.2 ingress is :mod:`translation.soap12`.

What differs from SOAP 1.1 at the wire: the envelope namespace
(``http://www.w3.org/2003/05/soap-envelope``), the media type
``application/soap+xml`` with the action as its ``action`` parameter (there is
no ``SOAPAction`` header), and the Fault, whose code is ``env:Code/env:Value``
(``Sender``, ``Receiver``, ``VersionMismatch``, ``MustUnderstand``,
``DataEncodingUnknown``) and whose text is ``env:Reason/env:Text``. A 1.2 Fault
becomes the same :class:`ProviderFault` a 1.1 Fault does; ``Receiver`` (1.1's
``Server``) is the only code worth another attempt.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from contracts.errors import FieldIssue
from translation.errors import MalformedInput, ProviderAuthRefused, ProviderFault
from translation.provider_auth import is_security_fault
from translation.soap_envelope import FAULT_NS, SOAP11_NS, SOAP12_NS
from translation.xml_safety import XmlLimits, parse_xml

ENVELOPE = f"{{{SOAP12_NS}}}Envelope"
HEADER = f"{{{SOAP12_NS}}}Header"
BODY = f"{{{SOAP12_NS}}}Body"
FAULT = f"{{{SOAP12_NS}}}Fault"
_PROBLEM = f"{{{FAULT_NS}}}problem"
_ISSUE = f"{{{FAULT_NS}}}issue"
_SUBCODES = f".//{{{SOAP12_NS}}}Subcode/{{{SOAP12_NS}}}Value"


def content_type(action: str) -> str:
    """The request's Content-Type: the action travels as a media-type parameter."""
    return f'application/soap+xml; charset=utf-8; action="{action}"'


@dataclass(frozen=True)
class Soap12Message:
    """A parsed SOAP 1.2 message: header blocks, the body's first element, what follows it."""

    headers: tuple[etree._Element, ...]
    body: etree._Element
    independents: tuple[etree._Element, ...] = ()

    @property
    def is_fault(self) -> bool:
        return self.body.tag == FAULT


def parse_envelope(data: bytes, limits: XmlLimits, *, encoded: bool = False) -> Soap12Message:
    """Parse a SOAP 1.2 envelope; :class:`MalformedInput` if it is not one."""
    root = parse_xml(data, limits)
    if root.tag == f"{{{SOAP11_NS}}}Envelope":
        raise _bad("soap-version-mismatch", "/Envelope",
                   "a SOAP 1.1 envelope answered a SOAP 1.2 request")
    if root.tag != ENVELOPE:
        raise _bad("not-soap-envelope", "$", f"root element is {root.tag}, not {ENVELOPE}")
    children = _elements(root)
    header = children.pop(0) if children and children[0].tag == HEADER else None
    if len(children) != 1 or children[0].tag != BODY:
        raise _bad("soap-body-missing", "/Envelope", "env:Envelope must end with one env:Body")
    payload = _elements(children[0])
    if not payload:
        raise _bad("soap-body-empty", "/Envelope/Body", "env:Body holds no element")
    if len(payload) > 1 and not (encoded and payload[0].tag != FAULT):
        raise _bad("soap-body-multiple", "/Envelope/Body",
                   f"env:Body must hold exactly one element, found {len(payload)}")
    headers = tuple(_elements(header)) if header is not None else ()
    return Soap12Message(headers, payload[0], tuple(payload[1:]))


def fault_error(fault: etree._Element, label: str) -> ProviderFault:
    """A SOAP 1.2 Fault as the :class:`ProviderFault` a 1.1 Fault would give."""
    value = (fault.findtext(f"{{{SOAP12_NS}}}Code/{{{SOAP12_NS}}}Value") or "").strip()
    subcodes = [v.text or "" for v in fault.iterfind(_SUBCODES)]
    prefix, _, local = value.rpartition(":")
    code = local if not prefix or fault.nsmap.get(prefix) == SOAP12_NS else value
    reason = (fault.findtext(f"{{{SOAP12_NS}}}Reason/{{{SOAP12_NS}}}Text") or "").strip()
    if is_security_fault(fault, value, *subcodes):
        return ProviderAuthRefused(f"{label} refused the hub's WS-Security credentials: "
                                   f"{' / '.join([value, *subcodes])}: {reason}")
    problem = fault.find(f"{{{SOAP12_NS}}}Detail/{_PROBLEM}")
    issues = () if problem is None else tuple(
        FieldIssue(path=i.get("path", "$"), reason=i.text or "", code=i.get("code", ""),
                   field=i.get("field")) for i in problem.iter(_ISSUE))
    return ProviderFault(f"{label} fault env:{code}: {reason}", retryable=code == "Receiver",
                         issues=issues)


def _elements(parent: etree._Element) -> list[etree._Element]:
    return [child for child in parent if isinstance(child.tag, str)]


def _bad(code: str, path: str, reason: str) -> MalformedInput:
    return MalformedInput(f"not a usable SOAP 1.2 message: {reason}",
                          issues=(FieldIssue(path=path, reason=reason, code=code),))
