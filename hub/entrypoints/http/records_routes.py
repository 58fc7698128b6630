"""``POST /records/{contract}``: a department issues a record to its subscribers.

``X-Hub-Documents: <id>, <id>`` names documents of this region that go with the record:
their digests are signed in its attestation, and peers fetch them through its link.

The issuer is the department of the request's bearer token (hub.entrypoints.http.auth);
``X-Hub-Client``, when sent, must name it. A refused token is recorded and answered 401/403;
every other refusal (Content-Type, size, the strict JSON reader, the contract) is
recorded as Received + Rejected too and answered as problem details.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from contracts.errors import HubError
from hub.entrypoints.http.auth import (
    AUTHORIZATION_HEADER,
    CLIENT_HEADER,
    CORRELATION_HEADER,
    CORRELATION_PATH,
    RequestRefused,
    authenticator_of,
    gateway_of,
    proof_of,
    refusal_response,
)
from hub.entrypoints.http.body import read_capped
from hub.entrypoints.http.media_types import CONTENT_TYPE_HEADER, require_json
from hub.entrypoints.http.problems import problem_response
from hub.service_layer.documents.cross_region import DOCUMENTS_HEADER
from hub.service_layer.exchanges.correlation import checked_correlation
from hub.service_layer.exchanges.gateway import Envelope
from hub.service_layer.exchanges.messages import ReplyError
from hub.service_layer.notifications.issuer import INGRESS, Notifier


def records_router(notifier: Notifier, *, max_payload_bytes: int) -> APIRouter:
    """The issuing endpoint; answers 202 with the record id and one exchange per subscriber."""
    router = APIRouter(tags=["records"])

    @router.post(
        "/records/{contract}", status_code=202,
        summary="Issue a record of a contract to this region's subscribers",
        openapi_extra={"security": [{"bearer": []}]},
    )
    async def issue(request: Request, contract: str) -> Response:
        correlation_id = checked_correlation(request.headers.get(CORRELATION_HEADER),
                                             path=CORRELATION_PATH)
        try:
            client = await authenticator_of(request).department(
                request.headers.get(AUTHORIZATION_HEADER),
                claimed=request.headers.get(CLIENT_HEADER, ""),
                claim_path=f"header:{CLIENT_HEADER}", service=f"records/{contract}",
                correlation_id=correlation_id, ingress=INGRESS,
                proof=proof_of(request),
            )
        except RequestRefused as refused:
            return refusal_response(refused, correlation_id)
        raw = b""
        try:
            require_json(request.headers.get(CONTENT_TYPE_HEADER))
            raw = await read_capped(request, max_payload_bytes)
            documents = [d.strip() for d in request.headers.get(DOCUMENTS_HEADER, "").split(",")
                         if d.strip()]
            issued = await notifier.issue(client, contract, raw, correlation_id=correlation_id,
                                          documents=documents)
        except HubError as exc:  # recorded as Received + Rejected, like every refusal
            envelope = Envelope(client, f"records/{contract}", correlation_id, INGRESS, raw)
            answer = await gateway_of(request).reject(envelope, exc)
            error = answer.error or ReplyError(code=exc.code, message=exc.message)
            return problem_response(error, exchange_id=str(answer.exchange_id),
                                    correlation_id=correlation_id, outcome="rejected")
        return JSONResponse(
            {
                "record_id": issued.record_id,
                "contract": issued.contract,
                "attested": issued.attested,
                "exchanges": [{"service": s, "exchange_id": str(e)}
                              for s, e in issued.exchanges.items()],
            },
            status_code=202,
            headers={CORRELATION_HEADER: correlation_id},
        )

    return router

