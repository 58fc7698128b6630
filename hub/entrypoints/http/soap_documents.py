"""Documents at the hub's SOAP ingress: supplied as SOAP with Attachments or MTOM/XOP, and
fetched back as MTOM.

``POST /soap/documents`` takes a ``multipart/related`` package whose root part is a SOAP 1.1
envelope and whose second part is the document (``Authorization: Bearer`` as on ``/soap``):

- **supply** — the body element ``d:SupplyDocument`` (namespace :data:`NS`) names
  ``d:service``, ``d:purpose``, ``d:subject`` and the document in ``d:content``: an
  ``xop:Include href="cid:…"`` (MTOM, package type ``application/xop+xml``) or the
  ``cid:…`` reference as text (SwA's ``swaRef``, package type ``text/xml``). The attachment
  streams through the same door, sealing and store as a JSON upload; the answer is a plain
  SOAP envelope, ``d:SupplyDocumentResponse`` with the document's id, type, size and
  SHA-256.
- **fetch** — a plain SOAP request (``text/xml``) whose body is ``d:FetchDocument`` with the
  ``d:token`` of a download link (``POST /documents/{id}/links``): answered as MTOM, the
  envelope's ``d:content`` an ``xop:Include`` of the part that carries the bytes, streamed.

Every refusal is a SOAP Fault naming the problem (door refusals recorded as
``DocumentRefusal.Refused``, the others as rejected exchanges, as on every ingress).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Request
from lxml import etree
from starlette.responses import Response, StreamingResponse

from contracts.errors import HubError
from hub.adapters.documents.errors import DocumentError
from hub.domain.document import Document
from hub.entrypoints.http.auth import correlation_of, gateway_of, require_department
from hub.entrypoints.http.multipart_related import MTOM_ROOT, RelatedStream, content_id
from hub.entrypoints.http.soap_faults import error_fault
from hub.service_layer.documents.supply import Documents, Supply, refusal_id
from hub.service_layer.exchanges.gateway import Envelope
from hub.service_layer.exchanges.messages import ReplyError
from translation.soap_envelope import build_envelope, parse_envelope

PATH = "/soap/documents"
NS = "urn:interop-hub:documents:1"
XOP_NS = "http://www.w3.org/2004/08/xop/include"
INGRESS = "soap-documents"
_MTOM_START = "<envelope@interop-hub>"
_MTOM_PART = "document@interop-hub"


class SoapDocumentError(DocumentError):
    """Raised when a SOAP documents request lacks an element or names its attachment wrongly."""

    code = "soap-document-request"
    status = 400


def soap_documents_router(documents: Documents, *, max_envelope_bytes: int) -> APIRouter:
    """``POST /soap/documents``: supply (SwA or MTOM) or fetch (answered as MTOM)."""
    router = APIRouter(tags=["documents"])

    problem = {"application/problem+json": {"schema": {"type": "object"}}}
    xml = {"schema": {"type": "string"}}

    @router.post(PATH, openapi_extra={"security": [{"bearer": []}], "responses": {
        "200": {"description": "SupplyDocumentResponse (text/xml), or the document as MTOM",
                "content": {"text/xml": xml, "multipart/related": xml}},
        "401": {"description": "no valid department token", "content": problem},
        "403": {"description": "not a department token, or a client mismatch",
                "content": problem},
        "500": {"description": "a SOAP Fault (soap:Client for the caller's mistakes)",
                "content": {"text/xml": xml}}}},
        summary="Supply a document as SwA or MTOM, or fetch one as MTOM (SOAP 1.1)")
    async def endpoint(request: Request, client: str = Depends(require_department)
                       ) -> Response:
        recorded = True
        try:
            if request.headers.get("content-type", "").startswith("multipart/related"):
                recorded = False  # a supply records its own refusals
                return await _supply(request, client, documents, max_envelope_bytes)
            return await _fetch(request, client, documents, max_envelope_bytes)
        except HubError as exc:
            return await _fault(request, client, exc, record=recorded or refusal_id(exc) is None)

    return router


async def _supply(request: Request, client: str, documents: Documents,
                  max_envelope_bytes: int) -> Response:
    package = RelatedStream(request)
    _, root = await package.root(max_envelope_bytes)
    body = parse_envelope(root).body
    if body.tag != f"{{{NS}}}SupplyDocument":
        raise SoapDocumentError(f"the body element is {etree.QName(body).text}; supply with "
                                f"{{{NS}}}SupplyDocument", path="/Envelope/Body")
    wanted = {name: _text(body, name) for name in ("service", "purpose", "subject")}
    reference = _reference(body, mtom=package.root_type == MTOM_ROOT)
    cid, declared, content = await package.attachment()
    if cid != reference:
        raise SoapDocumentError(f"d:content refers to cid:{reference} but the attachment is "
                                f"{cid or 'unnamed'}", path="/Envelope/Body/SupplyDocument/"
                                "content", field="content")
    document = await documents.supply(
        Supply(client, wanted["service"], wanted["purpose"], wanted["subject"],
               declared_type=declared), content)
    answer = etree.Element(f"{{{NS}}}SupplyDocumentResponse", nsmap={"d": NS})
    for name, value in _described(document).items():
        etree.SubElement(answer, f"{{{NS}}}{name}").text = value
    return Response(build_envelope(answer), media_type="text/xml; charset=utf-8",
                    headers={"X-Document-Id": document.document_id})


async def _fetch(request: Request, client: str, documents: Documents,
                 max_envelope_bytes: int) -> Response:
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > max_envelope_bytes:
            raise SoapDocumentError(f"the envelope is larger than {max_envelope_bytes} bytes",
                                    path="body")
    body = parse_envelope(raw).body
    if body.tag != f"{{{NS}}}FetchDocument":
        raise SoapDocumentError(
            f"the body element is {etree.QName(body).text}; send a multipart/related "
            f"{{{NS}}}SupplyDocument, or a {{{NS}}}FetchDocument", path="/Envelope/Body")
    document, content = await documents.fetch(_text(body, "token"), client)
    answer = etree.Element(f"{{{NS}}}FetchDocumentResponse", nsmap={"d": NS, "xop": XOP_NS})
    for name, value in _described(document).items():
        etree.SubElement(answer, f"{{{NS}}}{name}").text = value
    include = etree.SubElement(etree.SubElement(answer, f"{{{NS}}}content"),
                               f"{{{XOP_NS}}}Include")
    include.set("href", f"cid:{_MTOM_PART}")
    boundary = "mtom-" + os.urandom(12).hex()
    return StreamingResponse(
        _mtom(boundary, build_envelope(answer), document.media_type, content),
        media_type=(f'multipart/related; type="{MTOM_ROOT}"; boundary="{boundary}"; '
                    f'start="{_MTOM_START}"; start-info="text/xml"'),
        headers={"X-Document-Id": document.document_id})


async def _mtom(boundary: str, envelope: bytes, media_type: str,
                content: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The MTOM package: the envelope part, then the document's part as it is opened."""
    yield (f"--{boundary}\r\nContent-Type: {MTOM_ROOT}; charset=UTF-8; "
           f'type="text/xml"\r\nContent-Transfer-Encoding: binary\r\n'
           f"Content-ID: {_MTOM_START}\r\n\r\n").encode() + envelope
    yield (f"\r\n--{boundary}\r\nContent-Type: {media_type}\r\n"
           f"Content-Transfer-Encoding: binary\r\nContent-ID: <{_MTOM_PART}>\r\n\r\n").encode()
    async for chunk in content:
        yield chunk
    yield f"\r\n--{boundary}--\r\n".encode()


def _text(body: etree._Element, name: str) -> str:
    value = (body.findtext(f"{{{NS}}}{name}") or "").strip()
    if not value:
        raise SoapDocumentError(f"d:{name} is missing or empty", field=name,
                                path=f"/Envelope/Body/{etree.QName(body).localname}/{name}")
    return value


def _reference(body: etree._Element, *, mtom: bool) -> str:
    """The Content-ID that ``d:content`` refers to: an xop:Include (MTOM) or swaRef text."""
    content = body.find(f"{{{NS}}}content")
    include = content.find(f"{{{XOP_NS}}}Include") if content is not None else None
    if include is not None and mtom:
        return content_id(include.get("href", ""))
    text = (content.text or "").strip() if content is not None else ""
    if not mtom and text.lower().startswith("cid:"):
        return content_id(text)
    expected = "an xop:Include href=\"cid:…\"" if mtom else "a cid:… reference (swaRef)"
    raise SoapDocumentError(f"d:content must hold {expected}", field="content",
                            path="/Envelope/Body/SupplyDocument/content")


def _described(document: Document) -> dict[str, str]:
    return {"document_id": document.document_id, "media_type": document.media_type,
            "size": str(document.size), "sha256": document.sha256}


async def _fault(request: Request, client: str, exc: HubError, *, record: bool) -> Response:
    exchange_id = None
    if record:
        envelope = Envelope(client, PATH, correlation_of(request), INGRESS, b"")
        exchange_id = str((await gateway_of(request).reject(envelope, exc)).exchange_id)
    error = ReplyError(code=exc.code, message=exc.message,
                       issues=[issue.as_dict() for issue in exc.issues])
    response = error_fault(error, exchange_id, None)
    recorded = refusal_id(exc)
    if recorded is not None:
        response.headers["X-Refusal-Id"] = recorded
    return response

