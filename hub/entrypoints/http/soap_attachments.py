"""Attachments at the hub's own ``/soap`` query ingress (SOAP 1.1, SwA and MTOM).

A ``multipart/related`` query is read as it arrives (:mod:`~hub.entrypoints.http.
multipart_related`): the envelope first, whose body is a contract's request element; one of
its :data:`~contracts.documents.DocumentRef` fields refers to the attachment — an
``xop:Include href="cid:…"`` (MTOM, package type ``application/xop+xml``) or the ``cid:…``
reference as text (SwA's ``swaRef``, package type ``text/xml``). The attachment is supplied
as a document by the calling department, through the same door as any upload (the right
for the purpose, size, sniffed media type, active content), about the request's data
subject, for the query's purpose; the field then holds its id and the query goes on as a
plain ``/soap`` request (:class:`~hub.entrypoints.http.soap_ingress.SoapIngress`).

When the client sent MTOM, the answer is MTOM too: each response field holding a document id
becomes an ``xop:Include`` of a part carrying the document's bytes (Content-ID
``<document-id>@interop-hub``), each disclosed to the client for the exchange
(``Document.Disclosed``) and streamed as it is opened. A SwA client gets the plain answer
with the ids, and fetches a document by link (``POST /documents/{id}/links``).

Refusals are SOAP Faults: a door refusal names its ``DocumentRefusal`` in ``X-Refusal-Id``;
any other refusal (package, reference, body) is recorded as a rejected exchange
(``X-Exchange-Id``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from lxml import etree
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from contracts import Contract
from contracts.documents import DOCUMENT_REF
from contracts.errors import HubError
from contracts.xsd import CONTRACTS_NS, element_name
from hub.adapters.documents.errors import DocumentError
from hub.entrypoints.http.auth import (
    AUTHORIZATION_HEADER,
    CLIENT_HEADER,
    CORRELATION_HEADER,
    CORRELATION_PATH,
    RequestRefused,
    authenticator_of,
    gateway_of,
    proof_of,
)
from hub.entrypoints.http.multipart_related import MTOM_ROOT, RelatedStream, content_id
from hub.entrypoints.http.soap_faults import XML_MEDIA, error_fault, fault_response
from hub.entrypoints.http.soap_ingress import SoapIngress
from hub.entrypoints.http.soap_operations import SoapOperation
from hub.service_layer.documents.supply import Documents, Supply, refusal_id
from hub.service_layer.exchanges.correlation import checked_correlation
from hub.service_layer.exchanges.gateway import Envelope, Gateway
from hub.service_layer.exchanges.messages import ReplyError
from hub.service_layer.exchanges.routing import ServiceDefinition, ServiceDirectory
from hub.service_layer.security.decision import PURPOSE_HEADER
from translation.hub_wsdl import HEADER_NS
from translation.mime_related import is_related
from translation.soap_envelope import parse_envelope
from translation.xml_safety import XmlLimits

XOP_NS = "http://www.w3.org/2004/08/xop/include"
_START = "<envelope@interop-hub>"
Handler = Callable[[Request], Awaitable[Response]]


class SoapAttachmentError(DocumentError):
    """Raised when a ``/soap`` query's attachment is not where its envelope says."""

    code = "soap-attachment"
    status = 400


def document_fields(model: type[Contract]) -> list[str]:
    """The fields of ``model`` typed :data:`~contracts.documents.DocumentRef`."""
    properties = model.model_json_schema().get("properties", {})
    return [name for name, schema in properties.items() if schema.get(DOCUMENT_REF)]


@dataclass(frozen=True)
class _Query:
    client: str
    correlation_id: str
    purpose: str
    service: ServiceDefinition
    mtom: bool


class AttachedSoapIngress(SoapIngress):
    """The ``/soap`` ingress that also takes ``multipart/related`` queries."""

    def __init__(self, gateway: Gateway, documents: Documents, *, max_payload_bytes: int,
                 xroad_clients: Mapping[str, str] | None = None,
                 operations: Sequence[SoapOperation] = ()) -> None:
        super().__init__(gateway, max_payload_bytes=max_payload_bytes,
                         xroad_clients=xroad_clients, operations=operations)
        self._attachments = SoapAttachments(documents, gateway.directory,
                                            max_envelope_bytes=max_payload_bytes)

    async def handle(self, request: Request) -> Response:
        if is_related(request.headers.get("content-type", "")):
            return await self._attachments.handle(request, super().handle)
        return await super().handle(request)


class SoapAttachments:
    """Takes ``multipart/related`` queries at ``/soap``; the plain ingress does the rest."""

    def __init__(self, documents: Documents, directory: ServiceDirectory, *,
                 max_envelope_bytes: int) -> None:
        self._documents = documents
        self._limits = XmlLimits(max_bytes=max_envelope_bytes)
        self._by_element = {f"{{{CONTRACTS_NS}}}{element_name(s.request)}": s
                            for s in directory if document_fields(s.request)}

    async def handle(self, request: Request, plain: Handler) -> Response:
        """Supply the attachment, then answer the query through ``plain``."""
        correlation_id = checked_correlation(request.headers.get(CORRELATION_HEADER),
                                             path=CORRELATION_PATH)
        try:
            principal = await authenticator_of(request).department_principal(
                request.headers.get(AUTHORIZATION_HEADER),
                claimed=request.headers.get(CLIENT_HEADER, ""),
                claim_path=f"header:{CLIENT_HEADER}", service="",
                correlation_id=correlation_id, ingress="soap", proof=proof_of(request))
        except RequestRefused as refused:
            return fault_response(refused.answer, None)
        client, service = principal.name, ""
        try:
            package = RelatedStream(request)
            _, root = await package.root(self._limits.max_bytes)
            message = parse_envelope(root, self._limits)
            query = self._query(message.body, message.headers, request, client, correlation_id,
                                mtom=package.root_type == MTOM_ROOT)
            service = str(query.service.id)
            element, reference = _referring(message.body, query.service.request, query.mtom)
            cid, declared, content = await package.attachment()
            if cid != reference:
                raise SoapAttachmentError(
                    f"{etree.QName(element).localname} refers to cid:{reference} but the "
                    f"attachment is {cid or 'unnamed'}", field=etree.QName(element).localname,
                    path=_path(element))
            subject_field = query.service.request.SUBJECT_FIELD or ""
            document = await self._documents.supply(Supply(
                client, service, query.purpose,
                (message.body.findtext(f"{{{CONTRACTS_NS}}}{subject_field}") or "").strip(),
                declared_type=declared), content)
        except HubError as exc:
            return await self._fault(request, client, service, correlation_id, exc)
        for child in list(element):
            element.remove(child)
        element.text = document.document_id
        envelope = etree.tostring(message.body.getroottree().getroot())
        answer = await plain(_replayed(request, envelope, correlation_id))
        if not query.mtom or answer.status_code != 200:
            return answer
        try:
            return await self._as_mtom(answer, query)
        except HubError as exc:
            return await self._fault(request, client, service, correlation_id, exc)

    def _query(self, body: etree._Element, headers: Sequence[etree._Element], request: Request,
               client: str, correlation_id: str, *, mtom: bool) -> _Query:
        service = self._by_element.get(str(body.tag))
        if service is None:
            known = ", ".join(sorted(etree.QName(t).localname for t in self._by_element))
            raise SoapAttachmentError(
                f"the body element {etree.QName(body).localname} is no request that takes a "
                f"document; attachments go with {known or 'no service of this region'}",
                field="body", path="/Envelope/Body")
        purpose = next((h.text or "" for h in headers if h.tag == f"{{{HEADER_NS}}}purpose"),
                       "").strip() or request.headers.get(PURPOSE_HEADER, "")
        return _Query(client, correlation_id, purpose, service, mtom)

    async def _as_mtom(self, answer: Response, query: _Query) -> Response:
        """The answer with each document it names as an MTOM part, disclosed to the client."""
        message = parse_envelope(bytes(answer.body), self._limits)
        exchange_id = answer.headers.get("X-Exchange-Id", "")
        parts: list[tuple[str, str, AsyncIterator[bytes]]] = []
        for name in document_fields(query.service.response):
            element = message.body.find(f"{{{CONTRACTS_NS}}}{name}")
            document_id = (element.text or "").strip() if element is not None else ""
            if element is None or not document_id:
                continue  # not disclosed for this purpose (minimised), or absent
            disclosure = await self._documents.disclose(
                document_id, by=query.client, recipient=query.client,
                purpose=query.purpose, exchange_id=exchange_id)
            document = disclosure.document
            cid = f"{document.document_id}@interop-hub"
            element.text = None
            etree.SubElement(element, f"{{{XOP_NS}}}Include", nsmap={"xop": XOP_NS}
                             ).set("href", f"cid:{cid}")
            parts.append((cid, document.media_type, await self._documents.open(document)))
        boundary = "mtom-" + os.urandom(12).hex()
        envelope = etree.tostring(message.body.getroottree().getroot())
        background = answer.background if isinstance(answer.background, BackgroundTask) else None
        return StreamingResponse(
            _package(boundary, envelope, parts), background=background,
            media_type=(f'multipart/related; type="{MTOM_ROOT}"; boundary="{boundary}"; '
                        f'start="{_START}"; start-info="text/xml"'),
            headers={k: v for k, v in answer.headers.items()
                     if k.lower() in ("x-exchange-id", CORRELATION_HEADER.lower())})

    async def _fault(self, request: Request, client: str, service: str, correlation_id: str,
                     exc: HubError) -> Response:
        """The Fault; recorded as a rejected exchange unless the door recorded a refusal."""
        recorded = refusal_id(exc)
        exchange_id = None
        if recorded is None:
            envelope = Envelope(client, service, correlation_id, "soap", b"")
            exchange_id = str((await gateway_of(request).reject(envelope, exc)).exchange_id)
        error = ReplyError(code=exc.code, message=exc.message,
                           issues=[issue.as_dict() for issue in exc.issues])
        response = error_fault(error, exchange_id, None)
        if recorded is not None:
            response.headers["X-Refusal-Id"] = recorded
        return response


def _referring(body: etree._Element, model: type[Contract], mtom: bool
               ) -> tuple[etree._Element, str]:
    """The DocumentRef element that refers to the attachment, and the Content-ID it names."""
    for name in document_fields(model):
        element = body.find(f"{{{CONTRACTS_NS}}}{name}")
        if element is None:
            continue
        include = element.find(f"{{{XOP_NS}}}Include")
        if include is not None and mtom:
            return element, content_id(include.get("href", ""))
        text = (element.text or "").strip()
        if not mtom and text.lower().startswith("cid:"):
            return element, content_id(text)
    fields = ", ".join(document_fields(model))
    expected = 'an xop:Include href="cid:…"' if mtom else "a cid:… reference (swaRef)"
    raise SoapAttachmentError(
        f"no document field of {model.contract_id()} ({fields}) holds {expected}",
        field=fields, path=f"/Envelope/Body/{element_name(model)}")


def _path(element: etree._Element) -> str:
    parent = element.getparent()
    above = etree.QName(parent).localname if parent is not None else ""
    return f"/Envelope/Body/{above}/{etree.QName(element).localname}"


def _replayed(request: Request, envelope: bytes, correlation_id: str) -> Request:
    """``request`` as a plain SOAP 1.1 request carrying ``envelope``."""
    kept = [(k, v) for k, v in request.scope["headers"]
            if k not in (b"content-type", b"content-length", b"x-correlation-id")]
    scope = {**request.scope, "headers": [
        *kept, (b"content-type", XML_MEDIA.encode()),
        (b"content-length", str(len(envelope)).encode()),
        (b"x-correlation-id", correlation_id.encode())]}
    sent = False

    async def receive() -> dict[str, object]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": envelope, "more_body": False}

    return Request(scope, receive)


async def _package(boundary: str, envelope: bytes,
                   parts: list[tuple[str, str, AsyncIterator[bytes]]]) -> AsyncIterator[bytes]:
    """The MTOM package: the envelope, then each document's part as it is opened."""
    yield (f"--{boundary}\r\nContent-Type: {MTOM_ROOT}; charset=UTF-8; "
           f'type="text/xml"\r\nContent-Transfer-Encoding: binary\r\n'
           f"Content-ID: {_START}\r\n\r\n").encode() + envelope
    for cid, media_type, content in parts:
        yield (f"\r\n--{boundary}\r\nContent-Type: {media_type}\r\n"
               f"Content-Transfer-Encoding: binary\r\nContent-ID: <{cid}>\r\n\r\n").encode()
        async for chunk in content:
            yield chunk
    yield f"\r\n--{boundary}--\r\n".encode()

