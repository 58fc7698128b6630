"""``POST /records/{contract}``: a department issues a record to its subscribers."""

from __future__ import annotations

import json
import uuid

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from contracts.errors import HubError
from hub.entrypoints.body import read_capped
from hub.entrypoints.json_ingress import CLIENT_HEADER, CORRELATION_HEADER, MissingClientError
from hub.entrypoints.problems import problem_response
from hub.messages import ReplyError
from hub.notifications.errors import UnsubscribableContractError
from hub.notifications.issuer import Notifier

# Codes of this package that problems.status_for does not know (it answers 502 for those).
_STATUS = {UnsubscribableContractError.code: 404}


def records_router(notifier: Notifier, *, max_payload_bytes: int) -> APIRouter:
    """The issuing endpoint; answers 202 with the record id and one exchange per subscriber."""
    router = APIRouter(tags=["records"])

    @router.post(
        "/records/{contract}", status_code=202,
        summary="Issue a record of a contract to this region's subscribers",
    )
    async def issue(request: Request, contract: str) -> Response:
        correlation_id = request.headers.get(CORRELATION_HEADER) or str(uuid.uuid4())
        client = request.headers.get(CLIENT_HEADER, "")
        try:
            if not client:
                raise MissingClientError()
            raw = await read_capped(request, max_payload_bytes)
            issued = await notifier.issue(client, contract, raw, correlation_id=correlation_id)
        except HubError as exc:
            error = ReplyError(code=exc.code, message=exc.message,
                               issues=[i.as_dict() for i in exc.issues])
            return _problem(error, correlation_id)
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


def _problem(error: ReplyError, correlation_id: str) -> Response:
    response = problem_response(error, exchange_id=None, correlation_id=correlation_id,
                                outcome="rejected")
    status = _STATUS.get(error.code)
    if status is None:
        return response
    body = json.loads(bytes(response.body))
    body["status"] = status
    return JSONResponse(body, status_code=status, headers={CORRELATION_HEADER: correlation_id},
                        media_type="application/problem+json")
