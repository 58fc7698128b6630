"""SOAP 1.2 envelopes: take one apart safely, build replies and 1.2 Faults.

The SOAP 1.1 counterpart is :mod:`translation.soap_envelope`; a parsed 1.2
message is the same :class:`~translation.soap_envelope.SoapMessage` (header blocks
and the one body element), so what reads a message need not know its version.
A 1.2 Fault is ``env:Code/env:Value`` (``env:Sender`` for what the caller must
fix, ``env:Receiver`` for the hub's or a provider's failure) with an
``env:Subcode`` naming the hub's problem code, ``env:Reason/env:Text`` with
``xml:lang``, and the hub's ``hub:problem`` in ``env:Detail`` as in 1.1.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from lxml import etree

from contracts.errors import FieldIssue
from translation.errors import MalformedInput
from translation.soap_envelope import (
    FAULT_NS,
    SOAP11_NS,
    SOAP12_NS,
    SoapMessage,
    wrap_in_envelope,
)
from translation.xml_safety import XmlLimits, parse_xml, xml_chars_only

ENVELOPE = f"{{{SOAP12_NS}}}Envelope"
HEADER = f"{{{SOAP12_NS}}}Header"
BODY = f"{{{SOAP12_NS}}}Body"
FAULT = f"{{{SOAP12_NS}}}Fault"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_PROBLEM = f"{{{FAULT_NS}}}problem"
_ISSUE = f"{{{FAULT_NS}}}issue"


def parse_envelope12(data: bytes, limits: XmlLimits = XmlLimits()) -> SoapMessage:  # noqa: B008 - frozen
    """Parse a SOAP 1.2 envelope; raises :class:`MalformedInput` if it is not one.

    Issue codes are those of :func:`translation.soap_envelope.parse_envelope`, with
    ``soap-version-mismatch`` for a SOAP 1.1 envelope sent as SOAP 1.2.
    """
    root = parse_xml(data, limits)
    if root.tag == f"{{{SOAP11_NS}}}Envelope":
        raise _bad("soap-version-mismatch", "/Envelope",
                   f"a SOAP 1.1 envelope ({SOAP11_NS}) sent as application/soap+xml; "
                   f"send SOAP 1.2 ({SOAP12_NS}) or send SOAP 1.1 as text/xml")
    if root.tag != ENVELOPE:
        raise _bad("not-soap-envelope", "$",
                   f"root element is {root.tag}, not a SOAP 1.2 {ENVELOPE}")
    children = _elements(root)
    header = children.pop(0) if children and children[0].tag == HEADER else None
    if not children or children[0].tag != BODY:
        found = f", found {children[0].tag}" if children else ""
        raise _bad("soap-body-missing", "/Envelope", f"env:Envelope has no env:Body{found}")
    if len(children) > 1:
        raise _bad("soap-unexpected-element", "/Envelope",
                   f"nothing may follow env:Body, found {children[1].tag}")
    payload = _elements(children[0])
    if not payload:
        raise _bad("soap-body-empty", "/Envelope/Body", "env:Body holds no element")
    if len(payload) > 1:
        raise _bad("soap-body-multiple", "/Envelope/Body",
                   f"env:Body must hold exactly one element, found {len(payload)}")
    headers = tuple(_elements(header)) if header is not None else ()
    return SoapMessage(headers=headers, body=payload[0])


def build_envelope12(body: etree._Element | bytes,
                     headers: Sequence[etree._Element] = ()) -> bytes:
    """A SOAP 1.2 envelope around ``body`` and ``headers``, UTF-8 with declaration."""
    return wrap_in_envelope("env", SOAP12_NS, body, headers)


def build_fault12(
    value: Literal["Sender", "Receiver"],
    reason: str,
    *,
    code: str,
    issues: Sequence[FieldIssue] = (),
) -> bytes:
    """A SOAP 1.2 Fault: ``env:Code`` with the hub's ``code`` as subcode, reason and detail."""
    envelope = etree.Element(ENVELOPE, nsmap={"env": SOAP12_NS, "hub": FAULT_NS})
    fault = etree.SubElement(etree.SubElement(envelope, BODY), FAULT)
    code_element = etree.SubElement(fault, f"{{{SOAP12_NS}}}Code")
    etree.SubElement(code_element, f"{{{SOAP12_NS}}}Value").text = f"env:{value}"
    subcode = etree.SubElement(code_element, f"{{{SOAP12_NS}}}Subcode")
    # The subcode is a QName in the hub's fault namespace; the hub's codes are NCNames.
    etree.SubElement(subcode, f"{{{SOAP12_NS}}}Value").text = f"hub:{_ncname(code)}"
    text = etree.SubElement(etree.SubElement(fault, f"{{{SOAP12_NS}}}Reason"),
                            f"{{{SOAP12_NS}}}Text")
    text.set(_XML_LANG, "en")
    text.text = xml_chars_only(reason)
    detail = etree.SubElement(fault, f"{{{SOAP12_NS}}}Detail")
    problem = etree.SubElement(detail, _PROBLEM, code=xml_chars_only(code))
    for issue in issues:
        attributes = {"path": xml_chars_only(issue.path)}
        if issue.field is not None:
            attributes["field"] = xml_chars_only(issue.field)
        attributes["code"] = xml_chars_only(issue.code)
        etree.SubElement(problem, _ISSUE, attributes).text = xml_chars_only(issue.reason)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _ncname(code: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "-", code) or "hub-error"
    return cleaned if cleaned[0].isalpha() or cleaned[0] == "_" else f"e-{cleaned}"


def _elements(parent: etree._Element) -> list[etree._Element]:
    return [child for child in parent if isinstance(child.tag, str)]



def _bad(code: str, path: str, reason: str) -> MalformedInput:
    return MalformedInput(
        f"not a usable SOAP 1.2 message: {reason}",
        issues=(FieldIssue(path=path, reason=reason, code=code),),
    )
