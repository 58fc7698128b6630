"""The SOAP ingress (1.1 and 1.2): a WSDL generated from the exposed contracts, and its endpoint.

The body element names the operation: a contract's own element (document/literal,
``urn:interop-hub:contracts:1``) or, for a service that declares a native format
(:class:`translation.native_soap.NativeSoapFormat`), its native element. The caller
authenticates with ``Authorization: Bearer <token>`` (HTTP header, as on the
JSON ingress, :mod:`hub.entrypoints.http.auth`): the token's department is the
exchange's client. The ``client`` SOAP header (or the ``X-Hub-Client`` HTTP
header, or a mapped X-Road client) is optional and, when present, must name that
department; ``correlationId`` is carried like the JSON ingress's header. A client
that cannot set HTTP headers may instead present a client certificate (when the
hub terminates TLS) or a WS-Security ``wsse:UsernameToken`` in the SOAP header,
configured per department (:mod:`hub.service_layer.security.legacy_logins`), and name its
purpose in the ``hub:purpose`` SOAP header instead of ``X-Hub-Purpose``. A
bearer token or certificate is checked before the body is read; a UsernameToken
only once the envelope is parsed (its refusals are recorded the same way).

X-Road message protocol 4.0 is understood: when ``xrd:*`` headers are present,
``xrd:service`` selects the hub service that declares that X-Road service id,
``xrd:client`` is mapped onto a department by the hub's explicit table
(``HUB_XROAD_CLIENTS``; an unmapped client is refused), ``xrd:id`` becomes the
correlation id, and the response echoes the request's X-Road headers.

SOAP 1.1 comes as ``text/xml`` (or no Content-Type), SOAP 1.2 as
``application/soap+xml``; each is answered in its own version, 1.2 Faults with
``env:Sender``/``env:Receiver`` and the problem code as subcode. As in 1.1, the
operation is named by the body element (WS-I Basic Profile), so 1.2's ``action``
parameter, like SOAPAction, selects nothing.
Every refusal is a SOAP Fault (:mod:`hub.entrypoints.http.soap_faults`, which also
says which HTTP status each carries) and is recorded as Received + Rejected; the
checks of the request document itself are in :mod:`hub.entrypoints.http.soap_checks`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fastapi import APIRouter, Request
from lxml import etree
from starlette.background import BackgroundTask
from starlette.responses import Response

from contracts import Contract
from contracts.errors import ContractError, FieldIssue, HubError
from contracts.identity import DepartmentId, IdentifierError
from contracts.xsd import element_name
from hub.entrypoints.http.auth import (
    AUTHORIZATION_HEADER,
    CLIENT_HEADER,
    CORRELATION_HEADER,
    CORRELATION_PATH,
    UNAUTHENTICATED,
    Authenticator,
    LegacyProof,
    RequestRefused,
    authenticator_of,
    proof_of,
)
from hub.entrypoints.http.body import read_capped
from hub.entrypoints.http.media_types import CONTENT_TYPE_HEADER, UnsupportedMediaType, soap_version
from hub.entrypoints.http.soap_checks import (
    refuse_duplicate_headers,
    refuse_schema_locations,
    wrong_body,
    xml_path,
)
from hub.entrypoints.http.soap_faults import XML_MEDIA, fault_response, media_of
from hub.entrypoints.http.soap_operations import SoapOperation, hub_header
from hub.entrypoints.http.soap_versions import answer_version, declared_version, parse_message
from hub.service_layer.exchanges.correlation import checked_correlation
from hub.service_layer.exchanges.gateway import Answer, Envelope, Gateway
from hub.service_layer.exchanges.routing import ServiceDefinition
from hub.service_layer.security.decision import PURPOSE_HEADER
from hub.service_layer.security.legacy_errors import UsernameTokenError
from hub.service_layer.security.minimise import PartialContract
from hub.service_layer.security.principal import Principal
from translation.contract_xml import ContractXmlCodec
from translation.errors import MalformedInput, PayloadTooLarge
from translation.hub_wsdl import HEADER_NS, WsdlOperation, render_wsdl
from translation.soap12 import build_envelope12
from translation.soap_envelope import SoapMessage, build_envelope
from translation.wsse_username import (
    UsernameTokenFormatError,
    read_username_token,
    security_header,
)
from translation.xml_safety import XmlLimits
from translation.xroad_headers import (
    XRoadClientTable,
    XRoadHeaderError,
    XRoadHeaders,
    echo_headers,
)

SOAP_PATH = "/soap"
_CLIENT_PATH = "/Envelope/Header/hub:client"


_SOAP_CORRELATION_PATH = "soap:Header/hub:correlationId"


class SoapRefusal(HubError):
    """A refusal met while decoding a SOAP request, carrying the underlying error's code."""

    code = "soap-refusal"  # replaced per instance by the underlying error's code
    status = 400  # likewise replaced by the underlying error's status

    def __init__(
        self, code: str, message: str, issues: tuple[FieldIssue, ...], status: int = 400
    ) -> None:
        super().__init__(message, issues=issues)
        self.code = code
        self.status = status


@dataclass(frozen=True)
class _Incoming:
    """What the ingress read from one message before its body is decoded."""

    message: SoapMessage
    xroad: XRoadHeaders | None
    client: str  # as recorded; empty when nobody said
    correlation_id: str
    target: ServiceDefinition | None
    service: str  # as recorded: the service id, or what the client asked for
    native_namespace: str | None  # set when the body is the service's native element


class SoapIngress:
    """Serves the hub's WSDL and turns SOAP requests into gateway queries."""

    def __init__(
        self,
        gateway: Gateway,
        *,
        max_payload_bytes: int,
        xroad_clients: Mapping[str, str] | None = None,
        operations: Sequence[SoapOperation] = (),
    ) -> None:
        self._gateway = gateway
        self._limits = XmlLimits(max_bytes=max_payload_bytes)
        self._xroad_clients = XRoadClientTable(xroad_clients or {})
        services = list(gateway.directory)
        models = {m for s in services for m in (s.request, s.response)}
        self._codec = ContractXmlCodec(sorted(models, key=lambda m: str(m.contract_id())))
        self._by_element = {element_name(s.request): s for s in services}
        self._by_native = {
            tag: s for s in services if s.native for tag in s.native.request_elements
        }
        self._by_xroad = {s.xroad_service: s for s in services if s.xroad_service}
        self._operations = [
            WsdlOperation(s.operation, s.request, s.response, s.description,
                          minimised=bool(s.purposes))
            for s in services
        ] + [operation.wsdl for operation in operations]
        # operations of the hub itself (a case step's decision), by their body element
        self._own = {operation.element: operation for operation in operations}
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
        correlation_id = checked_correlation(request.headers.get(CORRELATION_HEADER),
                                             path=CORRELATION_PATH)
        http_client = request.headers.get(CLIENT_HEADER, "")
        authorization = request.headers.get(AUTHORIZATION_HEADER)
        authenticator = authenticator_of(request)
        proof = proof_of(request)
        version = declared_version(request)
        header_proof = authorization is None and proof.certificate is None
        department = credential = ""
        if not header_proof:  # a bearer token or a certificate: checked before the body is read
            try:
                principal = await authenticator.department_principal(
                    authorization, claimed=http_client, claim_path=f"header:{CLIENT_HEADER}",
                    service="", correlation_id=correlation_id, ingress="soap", proof=proof,
                )
            except RequestRefused as refused:
                return fault_response(refused.answer, None, version)
            department, credential = principal.name, principal.credential_id.hex
        read = await self._read_message(request, department, correlation_id)
        if isinstance(read, Response):
            return read
        raw, message, xroad = read
        if header_proof:  # no header proved anything: a wsse:UsernameToken may
            proven = await self._header_department(
                authenticator, message, http_client, correlation_id, raw)
            if isinstance(proven, Answer):
                return fault_response(proven, None, version)
            department, credential = proven.name, proven.credential_id.hex
        incoming = self._read(message, xroad, department, correlation_id)
        if not incoming.client.startswith("xroad:"):  # an unmapped X-Road client: refused below
            try:
                await authenticator.check_claim(
                    department, incoming.client, claim_path=_claim_path(xroad),
                    service=incoming.service, correlation_id=incoming.correlation_id,
                    ingress="soap",
                )
            except RequestRefused as refused:
                return fault_response(refused.answer, None, version)
            incoming = dataclasses.replace(incoming, client=department)
        own = self._own.get(str(message.body.tag))
        if own is not None and incoming.client == department:
            return await own.answer(message, department, incoming.correlation_id, version)
        purpose = _header_text(message, "purpose") or request.headers.get(PURPOSE_HEADER, "")
        return await self._exchange(incoming, raw, purpose, version, credential)

    async def _read_message(
        self, request: Request, department: str, correlation_id: str
    ) -> tuple[bytes, SoapMessage, XRoadHeaders | None] | Response:
        """The body, its envelope and X-Road headers; or the Fault of a recorded refusal."""
        version = declared_version(request)
        raw = b""
        try:
            soap_version(request.headers.get(CONTENT_TYPE_HEADER))
            raw = await read_capped(request, self._limits.max_bytes)
            message = parse_message(raw, self._limits, version)
            refuse_schema_locations(message)
            refuse_duplicate_headers(message)
            return raw, message, XRoadHeaders.from_soap(message.headers)
        except (UnsupportedMediaType, PayloadTooLarge, MalformedInput, XRoadHeaderError) as exc:
            envelope = Envelope(department or "unknown", "", correlation_id, "soap", raw)
            answer = await self._gateway.reject(envelope, exc)
            return fault_response(answer, None, answer_version(version, exc))

    async def _exchange(
        self, incoming: _Incoming, raw: bytes, purpose: str, version: str, credential: str
    ) -> Response:
        """Ask the gateway and answer: the reply in the request's SOAP version, or a Fault
        (``credential``: the id of the one that proved the client, for the access watch)."""
        envelope = Envelope(
            incoming.client or "unknown", incoming.service, incoming.correlation_id, "soap", raw,
            purpose=purpose, credential=credential,
        )
        answer = await self._gateway.query(envelope, lambda d: self._decode(incoming, d))
        contract = str(incoming.target.request.contract_id()) if incoming.target else None
        if answer.response is None:
            return fault_response(answer, contract, version)
        body = self._reply(incoming, answer.response, version)
        # Completed is recorded once the reply is written (a background task), off
        # the client's latency.
        return Response(
            body,
            background=BackgroundTask(self._gateway.complete, answer, body),
            media_type=media_of(version),
            headers={
                "X-Exchange-Id": str(answer.exchange_id),
                CORRELATION_HEADER: incoming.correlation_id,
            },
        )

    async def _header_department(
        self, authenticator: Authenticator, message: SoapMessage, http_client: str,
        correlation_id: str, raw: bytes,
    ) -> Principal | Answer:
        """Who a ``wsse:UsernameToken`` proves, or the recorded refusal (without a token, the
        bearer token's ``missing-credentials``)."""
        try:
            security = security_header(message.headers)
            token = read_username_token(security) if security is not None else None
        except UsernameTokenFormatError as exc:
            envelope = Envelope(UNAUTHENTICATED, "", correlation_id, "soap", raw)
            return await self._gateway.reject(envelope, UsernameTokenError(exc.message))
        try:
            return await authenticator.department_principal(
                None, claimed=http_client, claim_path=f"header:{CLIENT_HEADER}", service="",
                correlation_id=correlation_id, ingress="soap",
                proof=LegacyProof(username_token=token),
            )
        except RequestRefused as refused:
            return refused.answer

    def _read(
        self, message: SoapMessage, xroad: XRoadHeaders | None, http_client: str, correlation: str
    ) -> _Incoming:
        """Who asks which service: X-Road headers first, else hub headers and the body element."""
        body = message.body
        if xroad is not None:
            target = self._by_xroad.get(xroad.service) or self._by_xroad.get(
                xroad.service.unversioned()
            )
            service = str(target.id) if target else f"xroad:{xroad.service}"
            client = self._xroad_department(xroad)
            correlation = checked_correlation(xroad.id, path="soap:Header/xrd:id")
        else:
            target = self._by_native.get(body.tag) or self._by_element.get(
                etree.QName(body).localname
            )
            service = str(target.id) if target else f"soap-operation:{etree.QName(body).text}"
            client = _header_text(message, "client") or http_client
            named = _header_text(message, "correlationId")
            if named:
                correlation = checked_correlation(named, path=_SOAP_CORRELATION_PATH)
        native = target.native if target else None
        native_ns = (
            etree.QName(body).namespace if native and body.tag in native.request_elements else None
        )
        return _Incoming(message, xroad, client, correlation, target, service, native_ns)

    def _xroad_department(self, xroad: XRoadHeaders) -> str:
        """The mapped department, or ``xroad:<id>`` to record who asked (refused in decode)."""
        try:
            return self._xroad_clients.department(xroad.client)
        except HubError:
            return f"xroad:{xroad.client}"

    def _decode(self, incoming: _Incoming, definition: ServiceDefinition) -> Contract:
        """The request contract; every refusal names the contract, path, field and reason."""
        contract = str(definition.request.contract_id())
        try:
            self._check_client(incoming)
            return self._decode_body(incoming, definition)
        except HubError as exc:
            message = (
                exc.message if exc.message.startswith(contract) else (f"{contract}: {exc.message}")
            )
            raise SoapRefusal(exc.code, message, exc.issues, exc.status) from None

    def _check_client(self, incoming: _Incoming) -> None:
        if incoming.xroad is not None:
            self._xroad_clients.department(incoming.xroad.client)
            return
        if not incoming.client:
            reason = (
                "missing: name the calling department (region/department) in the hub:client "
                f"SOAP header or the {CLIENT_HEADER} HTTP header"
            )
            raise SoapRefusal(
                "missing-client",
                f"the caller is not named ({reason})",
                (
                    FieldIssue(
                        path=_CLIENT_PATH, reason=reason, code="missing-client", field="client"
                    ),
                ),
            )
        try:
            DepartmentId.parse(incoming.client)
        except IdentifierError as exc:
            raise SoapRefusal(
                exc.code,
                exc.message,
                (FieldIssue(path=_CLIENT_PATH, reason=exc.message, code=exc.code, field="client"),),
            ) from None

    def _decode_body(self, incoming: _Incoming, definition: ServiceDefinition) -> Contract:
        body = incoming.message.body
        native = definition.native
        if native is not None and incoming.native_namespace is not None:
            return native.decode(body, native.request, definition.request)
        if body.tag != self._codec_tag(definition.request):
            raise wrong_body(body, definition)
        try:
            contract = self._codec.decode(body)
        except ContractError as exc:
            raise ContractError(
                exc.contract,
                "the request violates the contract",
                issues=tuple(
                    FieldIssue(
                        path=xml_path(definition.request, i.field),
                        reason=i.reason,
                        code=i.code,
                        field=i.field,
                    )
                    for i in exc.issues
                ),
            ) from None
        if not isinstance(contract, definition.request):
            raise wrong_body(body, definition)
        return contract

    def _codec_tag(self, model: type[Contract]) -> str:
        return f"{{{self._codec.namespace}}}{element_name(model)}"

    def _reply(self, incoming: _Incoming, response: Contract, version: str) -> bytes:
        """The answer in the client's own format: native or contract body, X-Road or hub headers."""
        native = incoming.target.native if incoming.target else None
        body: etree._Element | bytes
        if native is not None and incoming.native_namespace is not None:
            body = native.encode(response, native.response, incoming.native_namespace)
        elif isinstance(response, PartialContract) and incoming.target is not None:
            # Minimised for the purpose (hub.service_layer.security): hidden elements are absent.
            body = self._codec.encode_partial_bytes(response, incoming.target.response)
        else:
            body = self._codec.encode(response)
        build = build_envelope12 if version == "1.2" else build_envelope
        if incoming.xroad is not None:
            return build(body, headers=echo_headers(incoming.message.headers))
        return build(body, headers=[hub_header("correlationId", incoming.correlation_id)])


def soap_router(ingress: SoapIngress) -> APIRouter:
    """``GET /soap?wsdl`` and ``POST /soap``."""
    router = APIRouter(tags=["soap"])

    @router.get(SOAP_PATH, summary="The hub's WSDL (SOAP 1.1, document/literal)",
                response_class=Response, responses={200: {"content": {"text/xml": {}}}})
    async def wsdl(request: Request) -> Response:
        location = str(request.url.replace(query=""))
        return Response(ingress.wsdl(location), media_type=XML_MEDIA)

    @router.post(SOAP_PATH, summary="SOAP 1.1 and 1.2 endpoint for every hub service")
    async def endpoint(request: Request) -> Response:
        return await ingress.handle(request)

    return router


def _claim_path(xroad: XRoadHeaders | None) -> str:
    return "/Envelope/Header/xrd:client" if xroad is not None else _CLIENT_PATH


def _header_text(message: SoapMessage, local: str) -> str:
    for header in message.headers:
        if header.tag == f"{{{HEADER_NS}}}{local}":
            return (header.text or "").strip()
    return ""
