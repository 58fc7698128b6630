"""SOAP 1.1 envelopes: take one apart safely, build replies and faults.

Only the envelope lives here; what the body means is the contract codec's
business (:mod:`translation.contract_xml`). Parsing goes through the hardened
:func:`translation.xml_safety.parse_xml`, so these functions add the SOAP rules
(WS-I Basic Profile: optional Header, then exactly one Body, nothing else).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from lxml import etree

from contracts.errors import FieldIssue
from translation.errors import MalformedInput
from translation.xml_safety import XmlLimits, parse_xml, xml_chars_only

SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
FAULT_NS = "urn:interop-hub:fault:1"

ENVELOPE = f"{{{SOAP11_NS}}}Envelope"
HEADER = f"{{{SOAP11_NS}}}Header"
BODY = f"{{{SOAP11_NS}}}Body"
FAULT = f"{{{SOAP11_NS}}}Fault"
_PROBLEM = f"{{{FAULT_NS}}}problem"
_ISSUE = f"{{{FAULT_NS}}}issue"



@dataclass(frozen=True)
class SoapMessage:
    """A parsed SOAP 1.1 message: the header blocks and the one element inside soap:Body."""

    headers: tuple[etree._Element, ...]
    body: etree._Element
    # SOAP-encoded messages only: the independent (multiRef) elements after the body element.
    independents: tuple[etree._Element, ...] = ()

    @property
    def is_fault(self) -> bool:
        return self.body.tag == FAULT


class SoapFault(NamedTuple):
    """The parts of a SOAP 1.1 Fault, with the hub's problem detail when present."""

    faultcode: str
    faultstring: str
    code: str | None
    issues: tuple[FieldIssue, ...]


def parse_envelope(
    data: bytes,
    limits: XmlLimits = XmlLimits(),  # noqa: B008 - frozen
    *,
    encoded: bool = False,
) -> SoapMessage:
    """Parse a SOAP 1.1 envelope; raises :class:`MalformedInput` if it is not one.

    ``encoded``: the body is SOAP-encoded (rpc/encoded), where the body element may
    be followed by independent elements that it references (``href``/``multiRef``);
    they are returned as :attr:`SoapMessage.independents`.

    Besides the codes of :func:`parse_xml`, issue codes are ``soap-version-mismatch``,
    ``not-soap-envelope``, ``soap-body-missing``, ``soap-body-empty``,
    ``soap-body-multiple`` and ``soap-unexpected-element``.
    """
    root = parse_xml(data, limits)
    if root.tag == f"{{{SOAP12_NS}}}Envelope":
        raise _bad(
            "soap-version-mismatch",
            "/Envelope",
            f"a SOAP 1.2 envelope ({SOAP12_NS}) where SOAP 1.1 ({SOAP11_NS}) was expected "
            "(SOAP 1.2 travels as application/soap+xml)",
        )
    if root.tag != ENVELOPE:
        raise _bad(
            "not-soap-envelope", "$", f"root element is {root.tag}, not a SOAP 1.1 {ENVELOPE}"
        )
    header, body = _header_and_body(root)
    headers = tuple(_element_children(header)) if header is not None else ()
    payload = _element_children(body)
    if not payload:
        raise _bad("soap-body-empty", "/Envelope/Body", "soap:Body holds no element")
    if len(payload) > 1 and encoded and payload[0].tag != FAULT:
        return SoapMessage(headers=headers, body=payload[0], independents=tuple(payload[1:]))
    if len(payload) > 1:
        names = ", ".join(str(child.tag) for child in payload)
        raise _bad(
            "soap-body-multiple",
            "/Envelope/Body",
            f"soap:Body must hold exactly one element, found {len(payload)}: {names}",
        )
    return SoapMessage(headers=headers, body=payload[0])


def _header_and_body(root: etree._Element) -> tuple[etree._Element | None, etree._Element]:
    children = _element_children(root)
    header = children.pop(0) if children and children[0].tag == HEADER else None
    if not children or children[0].tag != BODY:
        found = f", found {children[0].tag}" if children else ""
        raise _bad("soap-body-missing", "/Envelope", f"soap:Envelope has no soap:Body{found}")
    if len(children) > 1:
        raise _bad(
            "soap-unexpected-element",
            "/Envelope",
            f"nothing may follow soap:Body, found {children[1].tag}",
        )
    return header, children[0]


def _element_children(parent: etree._Element) -> list[etree._Element]:
    # Comments and processing instructions are children too in lxml; they carry no meaning.
    return [child for child in parent if isinstance(child.tag, str)]


def _bad(code: str, path: str, reason: str) -> MalformedInput:
    return MalformedInput(
        f"not a usable SOAP 1.1 message: {reason}",
        issues=(FieldIssue(path=path, reason=reason, code=code),),
    )


def build_envelope(body: etree._Element | bytes,
                   headers: Sequence[etree._Element] = ()) -> bytes:
    """A SOAP 1.1 envelope around ``body`` and ``headers``, UTF-8 with declaration.

    The caller's trees are left as they are: see :func:`wrap_in_envelope`.
    """
    return wrap_in_envelope("soap", SOAP11_NS, body, headers)


def wrap_in_envelope(prefix: str, namespace: str, body: etree._Element | bytes,
                     headers: Sequence[etree._Element] = ()) -> bytes:
    """An envelope of ``namespace`` (SOAP 1.1 or 1.2) around serialisations of the elements.

    Each element is serialised where it stands, with the namespace declarations
    it inherits, and the envelope's tags are written around those bytes: no copy
    of the caller's tree is made and none of it moves (appending an lxml element
    to the envelope would take it out of its parent). A ``body`` given as bytes is
    an element already serialised (UTF-8, its namespaces declared on it) and goes
    in as it is.
    """
    parts = [b"<?xml version='1.0' encoding='UTF-8'?>\n",
             f'<{prefix}:Envelope xmlns:{prefix}="{namespace}">'.encode()]
    if headers:
        parts.append(f"<{prefix}:Header>".encode())
        parts.extend(_fragment(block) for block in headers)
        parts.append(f"</{prefix}:Header>".encode())
    parts += [f"<{prefix}:Body>".encode(), body if isinstance(body, bytes) else _fragment(body),
              f"</{prefix}:Body></{prefix}:Envelope>".encode()]
    return b"".join(parts)


def _fragment(element: etree._Element) -> bytes:
    return etree.tostring(element, encoding="UTF-8", xml_declaration=False, with_tail=False)


def build_fault(
    faultcode: Literal["Client", "Server"],
    faultstring: str,
    *,
    code: str,
    issues: Sequence[FieldIssue] = (),
) -> bytes:
    """A SOAP 1.1 Fault whose detail carries the hub's problem ``code`` and field issues."""
    envelope = etree.Element(ENVELOPE, nsmap={"soap": SOAP11_NS})
    fault = etree.SubElement(etree.SubElement(envelope, BODY), FAULT)
    # faultcode, faultstring and detail are unqualified in SOAP 1.1.
    etree.SubElement(fault, "faultcode").text = f"soap:{faultcode}"
    etree.SubElement(fault, "faultstring").text = xml_chars_only(faultstring)
    detail = etree.SubElement(fault, "detail")
    problem = etree.SubElement(detail, _PROBLEM, nsmap={"hub": FAULT_NS}, code=xml_chars_only(code))
    for issue in issues:
        attributes = {"path": xml_chars_only(issue.path)}
        if issue.field is not None:
            attributes["field"] = xml_chars_only(issue.field)
        attributes["code"] = xml_chars_only(issue.code)
        etree.SubElement(problem, _ISSUE, attributes).text = xml_chars_only(issue.reason)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")



def parse_fault(element: etree._Element) -> SoapFault:
    """Read a soap:Fault element (e.g. ``parse_envelope(data).body``) back into its parts.

    ``faultcode`` is given without its prefix when it is a SOAP 1.1 code
    (``Client``, ``Server``...); ``code`` is None when the fault has no hub detail.
    """
    if element.tag != FAULT:
        raise _bad("not-soap-fault", "/Envelope/Body", f"{element.tag} is not a soap:Fault")
    faultcode = (element.findtext("faultcode") or "").strip()
    prefix, _, local = faultcode.rpartition(":")
    if prefix and element.nsmap.get(prefix) == SOAP11_NS:
        faultcode = local
    problem = element.find(f"detail/{_PROBLEM}")
    issues = () if problem is None else tuple(_issue(item) for item in problem.iter(_ISSUE))
    return SoapFault(
        faultcode=faultcode,
        faultstring=element.findtext("faultstring") or "",
        code=None if problem is None else problem.get("code"),
        issues=issues,
    )


def _issue(item: etree._Element) -> FieldIssue:
    return FieldIssue(
        path=item.get("path", "$"),
        reason=item.text or "",
        code=item.get("code", ""),
        field=item.get("field"),
    )
