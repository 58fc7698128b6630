"""The emulated X-Road example provider: xrd4j's example adapter as a Starlette app.

``POST /example-adapter/Endpoint`` answers ``getRandom`` (a random number) and
``helloService`` (``Hello <name>! Greetings from adapter server!``) the way an
X-Road v4 provider does: it requires the 4.0 headers, checks that
``xrd:service`` names the operation in the body, and echoes the headers in its
answer. Anything else is a SOAP Fault.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from translation.errors import AdapterError
from translation.soap_envelope import build_envelope, build_fault, parse_envelope
from translation.xroad_headers import XRoadHeaders, echo_headers

ENDPOINT_PATH = "/example-adapter/Endpoint"
PRODUCER_NAMESPACES = ("http://test.x-road.global/producer", "http://test.x-road.fi/producer")
_XML = "text/xml; charset=utf-8"


@dataclass
class XRoadExampleBehaviour:
    """Knobs and observations: ``server_faults_next`` faults the next N calls; ``calls``
    counts them; ``message_ids`` and ``clients`` record the X-Road ``id`` and client seen."""

    server_faults_next: int = 0
    calls: int = 0
    message_ids: list[str] = field(default_factory=list)
    clients: list[str] = field(default_factory=list)


class _Provider:
    def __init__(self, behaviour: XRoadExampleBehaviour) -> None:
        self.behaviour = behaviour
        self._random = random.Random()  # noqa: S311 - an example service, not cryptography

    async def endpoint(self, request: Request) -> Response:
        self.behaviour.calls += 1
        try:
            message = parse_envelope(await request.body())
            headers = XRoadHeaders.from_soap(message.headers)
        except AdapterError as exc:
            return _fault("Client", exc.message)
        if headers is None:
            return _fault("Client", "X-Road message protocol 4.0 headers are required")
        self.behaviour.message_ids.append(headers.id)
        self.behaviour.clients.append(str(headers.client))
        if self.behaviour.server_faults_next > 0:
            self.behaviour.server_faults_next -= 1
            return _fault("Server", "example adapter temporarily unavailable (injected)")
        body = message.body
        qname = etree.QName(body)
        if qname.namespace not in PRODUCER_NAMESPACES:
            return _fault("Client", f"unknown element {body.tag}")
        if qname.localname != headers.service.service_code:
            return _fault(
                "Client",
                f"xrd:service names {headers.service.service_code}, "
                f"the body holds {qname.localname}",
            )
        answer = self._answer(body, qname)
        if answer is None:
            return _fault("Client", f"unknown service {qname.localname}")
        return Response(build_envelope(answer, echo_headers(message.headers)), media_type=_XML)

    def _answer(self, body: etree._Element, qname: etree.QName) -> etree._Element | None:
        """The response element, in the namespace the request used; None for other operations."""
        ns = qname.namespace
        if qname.localname == "getRandom":
            answer = etree.Element(f"{{{ns}}}getRandomResponse", nsmap={"prod": ns})
            etree.SubElement(answer, f"{{{ns}}}data").text = str(self._random.randint(1, 100))
            return answer
        if qname.localname == "helloService":
            name = body.findtext(f"{{{ns}}}name") or ""
            answer = etree.Element(f"{{{ns}}}helloServiceResponse", nsmap={"prod": ns})
            message = f"Hello {name}! Greetings from adapter server!"
            etree.SubElement(answer, f"{{{ns}}}message").text = message
            return answer
        return None


def _fault(code: Literal["Client", "Server"], reason: str) -> Response:
    return Response(build_fault(code, reason, code="example-adapter"), 500, media_type=_XML)


def create_app(behaviour: XRoadExampleBehaviour | None = None) -> Starlette:
    """The provider as an ASGI app (nothing shared between apps)."""
    provider = _Provider(behaviour or XRoadExampleBehaviour())
    return Starlette(routes=[Route(ENDPOINT_PATH, provider.endpoint, methods=["POST"])])
