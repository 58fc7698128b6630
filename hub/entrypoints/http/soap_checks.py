"""Checks of a SOAP request document beyond the envelope: schema hints, doubled headers,
the body element, paths.

Each refusal names where in the document the problem is (a line, or an XML
path such as ``/TaxClearanceQuery/periods[2]/start``) and why.
"""

from __future__ import annotations

from lxml import etree

from contracts import Contract
from contracts.errors import FieldIssue
from contracts.xsd import CONTRACTS_NS, element_name
from hub.service_layer.exchanges.routing import ServiceDefinition
from translation.errors import MalformedInput, SchemaViolation
from translation.hub_wsdl import HEADER_NS
from translation.soap_envelope import SoapMessage

_XSI = "http://www.w3.org/2001/XMLSchema-instance"


# Compiled once: compiling the expression cost more than running it on each message.
_HINTS = etree.XPath("//@xsi:schemaLocation | //@xsi:noNamespaceSchemaLocation",
                     namespaces={"xsi": _XSI})


def refuse_schema_locations(message: SoapMessage) -> None:
    """Refuse ``xsi:schemaLocation`` hints: schemas come only from pinned local files.

    libxml2 never follows them here, but a client sending one expects a schema
    the hub does not use; saying so is clearer than silently ignoring it.
    """
    hints = _HINTS(message.body.getroottree().getroot())
    if hints:
        hint = hints[0]
        element = hint.getparent()
        reason = (
            f"{etree.QName(hint.attrname).localname}={str(hint)!r} on "
            f"{etree.QName(element).localname}: schema location hints are refused; "
            "the hub validates against its own pinned schemas and fetches nothing"
        )
        raise MalformedInput(
            f"XML refused: {reason}",
            issues=(
                FieldIssue(
                    path=f"line {element.sourceline}",
                    reason=reason,
                    code="schema-location-forbidden",
                ),
            ),
        )


def refuse_duplicate_headers(message: SoapMessage) -> None:
    """Refuse a hub header (``hub:client``, ``hub:correlationId``...) sent more than once.

    With two copies, which one names the caller depends on who reads the message;
    the hub answers neither and says which header is doubled.
    """
    names = [etree.QName(h).localname for h in message.headers
             if isinstance(h.tag, str) and etree.QName(h).namespace == HEADER_NS]
    doubled = sorted({n for n in names if names.count(n) > 1})
    if doubled:
        issues = tuple(
            FieldIssue(path=f"/Envelope/Header/hub:{name}", code="header-duplicated",
                       reason=f"hub:{name} is sent {names.count(name)} times; send it once")
            for name in doubled)
        raise MalformedInput(f"SOAP header refused: {issues[0].reason}", issues=issues)


def wrong_body(body: etree._Element, definition: ServiceDefinition) -> SchemaViolation:
    """The refusal of a body element that is not a request of ``definition``."""
    expected = [f"{{{CONTRACTS_NS}}}{element_name(definition.request)}"]
    if definition.native is not None:
        expected += list(definition.native.request_elements)
    reason = f"body element {body.tag} is not a request of {definition.id}; expected " + (
        " or ".join(expected)
    )
    return SchemaViolation(
        reason,
        issues=(
            FieldIssue(
                path=f"/Envelope/Body/{etree.QName(body).localname}",
                reason=reason,
                code="wrong-body-element",
            ),
        ),
    )


def xml_path(model: type[Contract], field: str | None) -> str:
    """The XML path of a contract field: ``periods.1.start`` → ``/Model/periods[2]/start``."""
    steps = [element_name(model)]
    for part in (field or "").split(".") if field else []:
        if part.isdigit() and len(steps) > 1:
            steps[-1] = f"{steps[-1]}[{int(part) + 1}]"
        else:
            steps.append(part)
    return "/" + "/".join(steps)
