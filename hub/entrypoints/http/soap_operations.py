"""The port of an operation the hub itself answers at its SOAP ingress (not a service's query).

Such an operation is listed in the hub's WSDL beside the services' operations and is
selected by its body element; the ingress authenticates the department first (bearer
token, client certificate or WS-Security UsernameToken) and hands it the parsed message.
"""

from __future__ import annotations

from typing import Protocol

from lxml import etree
from starlette.responses import Response

from translation.hub_wsdl import HEADER_NS, WsdlOperation
from translation.soap_envelope import SoapMessage


class SoapOperation(Protocol):
    """One operation of the hub's own at ``POST /soap``."""

    element: str  # the body element (Clark notation) that selects it
    wsdl: WsdlOperation  # how the WSDL describes it

    async def answer(self, message: SoapMessage, department: str, correlation_id: str,
                     version: str) -> Response:
        """The answer to ``message`` from the proven ``department`` (a Fault if refused)."""
        ...


def hub_header(local: str, text: str) -> etree._Element:
    """A hub envelope header of an answer, e.g. ``hub:correlationId``."""
    element = etree.Element(f"{{{HEADER_NS}}}{local}", nsmap={"hub": HEADER_NS})
    element.text = text
    return element
