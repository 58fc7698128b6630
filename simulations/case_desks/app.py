"""The emulated case desks of the departments a one-stop case's steps run at.

Each department takes an application in its own JSON shape and acknowledges it at once
with its file number; it decides later, by sending its decision to the hub
(``POST /cases/steps/{step id}/decision`` or the NATS decision subject). One app serves
every step service of the shipped case types, a route per department's API:

``POST /v1/{desk}/applications`` with ``{"tin": "19800101-1234", ...}`` answers 200
``{"tin": "...", "state": "RECEIVED", "ref": "<PREFIX>-000001"}``; a body without
``tin`` answers 400. ``GET`` on the same path lists what the desk received (also
``behaviour.received``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PREFIXES = {
    "tax-registration": "TAX",
    "business-register": "BR",
    "self-employed": "SE",
    "insurance-transfer": "SS",
    "vehicle-registration": "VEH",
}
"""The desks, and the prefix of their file numbers."""


@dataclass
class CaseDeskBehaviour:
    """What the desks received, by desk, in arrival order (bounded: ``limit`` each)."""

    received: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    limit: int = 1000


def case_desks_app(behaviour: CaseDeskBehaviour | None = None) -> Starlette:
    """The desks' HTTP API over ``behaviour``."""
    state = behaviour or CaseDeskBehaviour()

    async def receive(request: Request) -> Response:
        desk = request.path_params["desk"]
        if desk not in PREFIXES:
            return JSONResponse({"error": f"no desk {desk!r}"}, status_code=404)
        received = state.received.setdefault(desk, [])
        if request.method == "GET":
            return JSONResponse(received)
        try:
            body = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"error": "not JSON"}, status_code=400)
        if not isinstance(body, dict) or not isinstance(body.get("tin"), str):
            return JSONResponse({"error": "tin required"}, status_code=400)
        if len(received) < state.limit:
            received.append(body)
        reference = f"{PREFIXES[desk]}-{len(received):06d}"
        return JSONResponse({"tin": body["tin"], "state": "RECEIVED", "ref": reference})

    return Starlette(routes=[Route("/v1/{desk}/applications", receive,
                                   methods=["GET", "POST"])])
