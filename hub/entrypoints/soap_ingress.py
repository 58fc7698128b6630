"""The SOAP 1.1 ingress: a WSDL generated from the exposed contracts, and its endpoint.

The body element names the operation (document/literal, one element per
request contract). The caller is named by the ``client`` SOAP header (or the
``X-Hub-Client`` HTTP header); ``correlationId`` likewise. Every refusal is a
SOAP Fault whose detail lists each issue (path, field, code, reason).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from lxml import etree
from starlette.responses import Response

from adapters.contract_xml import ContractXmlCodec
from adapters.errors import MalformedInput, PayloadTooLarge, SchemaViolation
from adapters.hub_wsdl import HEADER_NS, WsdlOperation, render_wsdl
from adapters.soap_envelope import SoapMessage, build_envelope, build_fault, parse_envelope
from adapters.xml_safety import XmlLimits
from contracts.errors import FieldIssue
from contracts.xsd import element_name
from hub.entrypoints.body import read_capped
from hub.entrypoints.json_ingress import CLIENT_HEADER, CORRELATION_HEADER, MissingClientError
from hub.entrypoints.problems import status_for
from hub.gateway import Answer, Envelope, Gateway
from hub.messages import ReplyError
from hub.routing import ServiceDefinition
from regions.identity import DepartmentId

SOAP_PATH = "/soap"
_XML = "text/xml; charset=utf-8"


class SoapIngress:
    """Serves the hub's WSDL and turns SOAP requests into gateway queries."""

    def __init__(self, gateway: Gateway, *, max_payload_bytes: int) -> None:
        self._gateway = gateway
        self._limits = XmlLimits(max_bytes=max_payload_bytes)
        services = list(gateway.directory)
        models = {m for s in services for m in (s.request, s.response)}
        self._codec = ContractXmlCodec(sorted(models, key=lambda m: str(m.contract_id())))
        self._by_element = {element_name(s.request): s for s in services}
        self._operations = [
            WsdlOperation(s.operation, s.request, s.response, s.description) for s in services
        ]
        self._wsdl: dict[str, bytes] = {}

    def wsdl(self, location: str) -> bytes:
        if location not in self._wsdl:
            region = self._gateway.directory.region
            self._wsdl[location] = render_wsdl(
                self._operations,
                service_name=f"InteropHub_{region.replace('-', '_')}",
                location=location,
            )
        return self._wsdl[location]

    async def handle(self, request: Request) -> Response:
        correlation_id = request.headers.get(CORRELATION_HEADER) or str(uuid.uuid4())
        http_client = request.headers.get(CLIENT_HEADER, "")
        try:
            raw = await read_capped(request, self._limits.max_bytes)
            message = parse_envelope(raw, self._limits)
        except (PayloadTooLarge, MalformedInput) as exc:
            envelope = Envelope(http_client or "unknown", "", correlation_id, "soap", b"")
            return self._fault(await self._gateway.reject(envelope, exc))
        client = _header_text(message, "client") or http_client
        correlation_id = _header_text(message, "correlationId") or correlation_id
        target = self._by_element.get(etree.QName(message.body).localname)
        service = str(target.id) if target else f"soap-operation:{etree.QName(message.body).text}"
        envelope = Envelope(client or "unknown", service, correlation_id, "soap", raw)

        def decode(definition: ServiceDefinition):  # type: ignore[no-untyped-def]
            if not client:
                raise MissingClientError()
            DepartmentId.parse(client)
            contract = self._codec.decode(message.body)
            if not isinstance(contract, definition.request):
                raise SchemaViolation(
                    f"{definition.id} expects {element_name(definition.request)}",
                    issues=(
                        FieldIssue(path="/", reason="wrong body element", code="schema-violation"),
                    ),
                )
            return contract

        answer = await self._gateway.query(envelope, decode)
        if answer.response is None:
            return self._fault(answer)
        body = build_envelope(
            self._codec.encode(answer.response), headers=[_header("correlationId", correlation_id)]
        )
        await self._gateway.complete(answer, body)
        return Response(
            body,
            media_type=_XML,
            headers={"X-Exchange-Id": str(answer.exchange_id), CORRELATION_HEADER: correlation_id},
        )

    @staticmethod
    def _fault(answer: Answer) -> Response:
        error = answer.error or ReplyError(code="hub-error", message="no answer")
        faultcode = "Client" if status_for(error.code) < 500 else "Server"
        issues = [
            FieldIssue(
                path=i.get("path") or "$",
                reason=i.get("reason") or "",
                code=i.get("code") or error.code,
                field=i.get("field"),
            )
            for i in error.issues
        ]
        body = build_fault(
            faultcode, f"{error.code}: {error.message}", code=error.code, issues=issues
        )
        return Response(
            body,
            status_code=500,
            media_type=_XML,
            headers={"X-Exchange-Id": str(answer.exchange_id)},
        )


def soap_router(ingress: SoapIngress) -> APIRouter:
    """``GET /soap?wsdl`` and ``POST /soap``."""
    router = APIRouter(tags=["soap"])

    @router.get(SOAP_PATH, summary="The hub's WSDL (SOAP 1.1, document/literal)")
    async def wsdl(request: Request) -> Response:
        location = str(request.url.replace(query=""))
        return Response(ingress.wsdl(location), media_type=_XML)

    @router.post(SOAP_PATH, summary="SOAP 1.1 endpoint for every hub service")
    async def endpoint(request: Request) -> Response:
        return await ingress.handle(request)

    return router


def _header_text(message: SoapMessage, local: str) -> str:
    for header in message.headers:
        if header.tag == f"{{{HEADER_NS}}}{local}":
            return (header.text or "").strip()
    return ""


def _header(local: str, text: str) -> etree._Element:
    element = etree.Element(f"{{{HEADER_NS}}}{local}", nsmap={"hub": HEADER_NS})
    element.text = text
    return element
