"""The JSON edge of documents: upload (multipart or resumable), links, download.

- ``POST /documents`` — ``multipart/form-data`` with the fields ``service``, ``purpose``,
  ``subject`` and then the part ``file``; streamed through the door into the store.
- ``POST /documents/uploads`` — JSON ``{service, purpose, subject, size}`` opens a
  resumable upload; ``PUT /documents/uploads/{id}`` with ``Upload-Offset: N`` sends the
  next bytes (refused with 409 and the offset to resume from when N is not it);
  ``GET /documents/uploads/{id}`` tells the offset reached.
- ``POST /documents/{id}/links`` — JSON ``{purpose, recipient?, exchange_id?, step?}``: the
  hub decides whether the recipient may see the document for the purpose, records
  ``Document.Disclosed`` and answers a short-lived link for the recipient.
- ``GET /documents/download/{token}`` — the bytes, for the department the link names.

Every caller proves its department with its bearer token. Every refusal is answered as
problem details and recorded: door refusals as ``DocumentRefusal.Refused`` (by the use
case, its id answered as ``refusal_id``), the rest as a rejected exchange (like any
refused request, ``exchange_id``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse, Response, StreamingResponse

from contracts.errors import HubError
from hub.adapters.documents.errors import (
    DocumentError,
    DocumentLinkRefused,
    UploadOffsetError,
)
from hub.adapters.documents.sniffing import DEFAULT_ALLOWED
from hub.domain.document import Document
from hub.entrypoints.http.auth import correlation_of, gateway_of, require_department
from hub.entrypoints.http.body import read_capped
from hub.entrypoints.http.multipart_stream import MultipartStream
from hub.entrypoints.http.problems import PROBLEM_MEDIA, problem_response
from hub.service_layer.documents.cross_region import AttestedDocuments
from hub.service_layer.documents.supply import Documents, Supply, refusal_id
from hub.service_layer.documents.uploads import Uploads
from hub.service_layer.exchanges.gateway import Envelope
from hub.service_layer.exchanges.messages import ReplyError

INGRESS = "documents"
OFFSET_HEADER = "Upload-Offset"
_MAX_JSON = 16 * 1024


class DocumentRequestError(DocumentError):
    """Raised when a documents request lacks a field or names it wrongly."""

    code = "document-request"
    status = 400


_PROBLEM = {"application/problem+json": {"schema": {"type": "object"}}}
_WHY = {
    400: "a field is missing or the form is malformed", 401: "no valid department token",
    403: "the department may not (right, purpose, consent, or another's link)",
    404: "no such service, document or upload", 408: "the upload received no bytes for too long",
    409: "the chunk does not start at the offset reached (Upload-Offset says where)",
    410: "the document's subject was forgotten", 413: "more bytes than the service accepts",
    415: "the bytes are of a type the service does not accept",
    422: "a PDF with JavaScript or an embedded file", 503: "the store is unavailable; retry",
}
_JSON_OBJECT = {"application/json": {"schema": {"type": "object"}}}
_FORM = {"multipart/form-data": {"schema": {
    "type": "object", "required": ["service", "purpose", "subject", "file"],
    "properties": {"service": {"type": "string"}, "purpose": {"type": "string"},
                   "subject": {"type": "string"},
                   "file": {"type": "string", "format": "binary"}}}}}
_BYTES = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}


def _documented(*statuses: int, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """The route's bearer security, its request body and the problems it may answer."""
    extra: dict[str, Any] = {"security": [{"bearer": []}], "responses": {
        str(status): {"description": _WHY[status], "content": _PROBLEM}
        for status in (401, 403, 503, *statuses)}}
    if body is not None:
        extra["requestBody"] = {"required": True, "content": body}
    return extra


def documents_router(documents: Documents, uploads: Uploads) -> APIRouter:
    """The documents routes over the use cases."""
    router = APIRouter(tags=["documents"])

    @router.post("/documents", status_code=201,
                 openapi_extra=_documented(400, 404, 413, 415, 422, body=_FORM),
                 summary="Supply a document (multipart/form-data, streamed)")
    async def supply(request: Request, client: str = Depends(require_department)) -> Response:
        try:
            form = MultipartStream(request)
            fields = await form.fields()
            wanted = _required(fields, "service", "purpose", "subject", where="form")
            order = Supply(client, wanted["service"], wanted["purpose"], wanted["subject"],
                           declared_type=form.declared_type)
        except HubError as exc:
            return await _refused(request, client, exc, record=True)
        try:
            document = await documents.supply(order, form.file())
        except HubError as exc:  # recorded by the use case
            return await _refused(request, client, exc, record=False)
        return JSONResponse(_described(document), status_code=201,
                            headers={"Location": f"/documents/{document.document_id}"})

    @router.post("/documents/uploads", status_code=201,
                 openapi_extra=_documented(400, 404, 413, body=_JSON_OBJECT),
                 summary="Open a resumable upload of a declared size")
    async def start_upload(request: Request,
                           client: str = Depends(require_department)) -> Response:
        try:
            body = await _json(request)
            wanted = _required(body, "service", "purpose", "subject", "size", where="body")
            if not isinstance(body["size"], int) or isinstance(body["size"], bool):
                raise DocumentRequestError("size must be a whole number of bytes",
                                           field="size", path="/size")
            session = uploads.start(Supply(
                client, wanted["service"], wanted["purpose"], wanted["subject"],
                declared_type=str(body.get("media_type", "")), declared_size=body["size"]))
        except HubError as exc:
            return await _refused(request, client, exc, record=True)
        location = f"/documents/uploads/{session.upload_id}"
        return JSONResponse({"upload_id": session.upload_id, "offset": 0, "size": session.size,
                             "location": location}, status_code=201,
                            headers={"Location": location, OFFSET_HEADER: "0"})

    @router.get("/documents/uploads/{upload_id}", openapi_extra=_documented(404),
                summary="Where a resumable upload stands (the offset to resume from)")
    async def upload_offset(request: Request, upload_id: str,
                            client: str = Depends(require_department)) -> Response:
        try:
            session = uploads.get(upload_id, client)
        except HubError as exc:
            return await _refused(request, client, exc, record=True)
        return JSONResponse({"upload_id": upload_id, "offset": session.received,
                             "size": session.size},
                            headers={OFFSET_HEADER: str(session.received)})

    @router.put("/documents/uploads/{upload_id}",
                openapi_extra=_documented(400, 404, 408, 409, 413, 415, 422, body=_BYTES),
                responses={201: {"description": "the last bytes: the document, recorded"}},
                summary="Send the next bytes of a resumable upload, from Upload-Offset")
    async def upload_chunk(request: Request, upload_id: str,
                           client: str = Depends(require_department)) -> Response:
        try:
            session = uploads.get(upload_id, client)
            offset = _offset(request.headers.get(OFFSET_HEADER))
        except HubError as exc:
            return await _refused(request, client, exc, record=True)
        try:
            reached = await uploads.append(session, offset,
                                           _until_disconnect(request.stream()))
            if reached < session.size:
                return JSONResponse({"upload_id": upload_id, "offset": reached,
                                     "size": session.size},
                                    headers={OFFSET_HEADER: str(reached)})
            document = await uploads.finished(session)
        except HubError as exc:  # door refusals are recorded by the use case
            return await _refused(request, client, exc,
                                  record=isinstance(exc, UploadOffsetError))
        return JSONResponse(_described(document), status_code=201,
                            headers={"Location": f"/documents/{document.document_id}"})

    @router.post("/documents/{document_id}/links", status_code=201,
                 openapi_extra=_documented(400, 404, 413, body=_JSON_OBJECT),
                 summary="Disclose a document to a department: a short-lived signed link")
    async def link(request: Request, document_id: str,
                   client: str = Depends(require_department)) -> Response:
        try:
            body = await _json(request)
            purpose = _required(body, "purpose", where="body")["purpose"]
            disclosure = await documents.disclose(
                document_id, by=client, recipient=str(body.get("recipient") or client),
                purpose=purpose, exchange_id=str(body.get("exchange_id", "")),
                step=str(body.get("step", "")))
        except HubError as exc:
            return await _refused(request, client, exc, record=True)
        granted = disclosure.link
        return JSONResponse({
            "document_id": document_id, "recipient": granted.recipient,
            "url": f"/documents/download/{granted.token}", "token": granted.token,
            "expires_at": granted.expires_at, "purpose": disclosure.decision.purpose,
            "basis": disclosure.decision.basis, **_described(disclosure.document),
        }, status_code=201)

    @router.get("/documents/download/{token}", openapi_extra=_documented(404, 410),
                response_class=StreamingResponse,
                responses={200: {"description": "the document's bytes, of its sniffed type",
                                 "content": {t: {"schema": {"type": "string",
                                                            "format": "binary"}}
                                             for t in DEFAULT_ALLOWED}}},
                summary="The bytes of a document, for the department its link names")
    async def download(request: Request, token: str,
                       client: str = Depends(require_department)) -> Response:
        try:
            document, body = await documents.fetch(token, client)
        except HubError as exc:
            return await _refused(request, client, exc, record=True)
        return StreamingResponse(body, media_type=document.media_type, headers={
            "Content-Length": str(document.size),
            "Content-Disposition": f'attachment; filename="{document.document_id}"',
            "X-Document-Sha256": document.sha256,
            "Cache-Control": "no-store",
        })

    return router


def attested_router(attested: AttestedDocuments) -> APIRouter:
    """``POST /documents/attested``: keep a document that came with a peer's record."""
    router = APIRouter(tags=["documents"])

    @router.post("/documents/attested", status_code=201,
                 openapi_extra=_documented(400, 404, 413, 415, 422, body=_JSON_OBJECT),
                 summary="Fetch a document attested by a peer region, check it, keep it here")
    async def receive(request: Request, client: str = Depends(require_department)) -> Response:
        try:
            wanted = _required(await _json(request), "issuer", "record_id", "document_id",
                               "service", "purpose", "subject", where="body")
        except HubError as exc:
            return await _refused(request, client, exc, record=True)
        try:
            document = await attested.receive(recipient=client, **wanted)
        except DocumentLinkRefused as exc:  # before any byte: not a door refusal
            return await _refused(request, client, exc, record=refusal_id(exc) is None)
        except HubError as exc:  # recorded by the use case as a DocumentRefusal
            return await _refused(request, client, exc, record=False)
        return JSONResponse({**_described(document), "supplier": document.supplier},
                            status_code=201,
                            headers={"Location": f"/documents/{document.document_id}"})

    return router


def _described(document: Document) -> dict[str, Any]:
    return {"document_id": document.document_id, "media_type": document.media_type,
            "size": document.size, "sha256": document.sha256, "service": document.service,
            "purpose": document.purpose, "subject": document.data_subject}


def _required(values: dict[str, Any], *names: str, where: str) -> dict[str, Any]:
    missing = [n for n in names if values.get(n) in (None, "")]
    if missing:
        raise DocumentRequestError(f"the {where} lacks {', '.join(missing)}", field=missing[0],
                                   path=f"{where}:{missing[0]}")
    return {n: values[n] if n == "size" else str(values[n]).strip() for n in names}


def _offset(text: str | None) -> int:
    if text is None or not text.isdigit():
        raise DocumentRequestError(f"send the {OFFSET_HEADER} header: the byte this chunk "
                                   "starts at", field="offset", path=f"header:{OFFSET_HEADER}")
    return int(text)


async def _json(request: Request) -> dict[str, Any]:
    raw = await read_capped(request, _MAX_JSON)
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise DocumentRequestError("the body is not a JSON object", path="body")
    return body


async def _until_disconnect(stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The body's blocks; a client that goes away ends it (what arrived counts)."""
    try:
        async for block in stream:
            yield block
    except ClientDisconnect:
        return


async def _refused(request: Request, client: str, exc: HubError, *, record: bool) -> Response:
    """Problem details for ``exc``; recorded as a rejected exchange when ``record``."""
    correlation_id = correlation_of(request)
    exchange_id = None
    if record:
        envelope = Envelope(client, request.url.path, correlation_id, INGRESS, b"")
        exchange_id = str((await gateway_of(request).reject(envelope, exc)).exchange_id)
    error = ReplyError(code=exc.code, message=exc.message,
                       issues=[issue.as_dict() for issue in exc.issues])
    response = problem_response(error, exchange_id=exchange_id, correlation_id=correlation_id,
                                outcome="rejected")
    recorded = refusal_id(exc)
    if recorded is not None:  # a door refusal: recorded as DocumentRefusal, not an exchange
        body = json.loads(bytes(response.body))
        response = JSONResponse({**body, "refusal_id": recorded}, status_code=response.status_code,
                                headers={k: v for k, v in response.headers.items()
                                         if k.lower() not in ("content-length", "content-type")},
                                media_type=PROBLEM_MEDIA)
    if isinstance(exc, UploadOffsetError):
        response.headers[OFFSET_HEADER] = str(exc.offset)
    return response
