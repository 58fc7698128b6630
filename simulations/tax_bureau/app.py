"""The emulated Tax Bureau: a modern JSON/HTTP service with its own JSON shape.

``GET /v2/taxpayers/{tin}/clearance?year=YYYY`` answers::

    {"tin": "19800101-1234", "year": 2025, "state": "OK" | "DEBT" | "REVIEW",
     "debt": {"amountCents": 12345, "ccy": "EUR"}, "issued": "2026-11-28T10:00:00Z"}

Unknown taxpayer → 404 ``{"error": "unknown taxpayer", "tin": ...}``; a missing,
non-numeric or out-of-range year → 400.

Its inbox receives contribution histories issued in the region (hub notifications):
``POST /v2/inbox/contribution-histories`` takes ``{"tin", "taxpayer": {...}, "asOf",
"employments": [...]}`` and answers 200 ``{"receiptNo": "TB-IN-000001"}``;
``GET`` on the same path lists what it received (also ``behaviour.inbox``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulations.tax_bureau.data import TaxAccount, seed_accounts

FIRST_YEAR = 2000
CURRENCY = "EUR"


@dataclass
class TaxBehaviour:
    """Fault injection knobs, mutable while the app runs (tests, load and chaos runs).

    ``delay_s`` delays every call; ``server_errors_next`` answers the next N calls
    with HTTP 503; ``garbage_next`` answers the next N with non-JSON and HTTP 200.
    ``calls`` counts clearance requests; ``correlation_ids`` records the
    ``X-Correlation-Id`` header of the last 1000 (None when absent).
    """

    delay_s: float = 0.0
    server_errors_next: int = 0
    garbage_next: int = 0
    calls: int = 0
    # Bounded so a long load run does not grow it without end.
    correlation_ids: deque[str | None] = field(default_factory=lambda: deque(maxlen=1000))
    # Contribution histories received at the inbox, in arrival order (bounded likewise).
    inbox: deque[dict[str, object]] = field(default_factory=lambda: deque(maxlen=1000))


def _issued_now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _parse_year(raw: str | None) -> int | None:
    if raw is None or not raw.isdigit() or len(raw) != 4:
        return None
    year = int(raw)
    return year if FIRST_YEAR <= year <= dt.datetime.now(dt.UTC).year else None


class _TaxBureau:
    """The service behind the route: accounts and behaviour."""

    def __init__(self, behaviour: TaxBehaviour, accounts: Mapping[str, TaxAccount]) -> None:
        self.behaviour = behaviour
        self.accounts = accounts

    async def clearance(self, request: Request) -> Response:
        behaviour = self.behaviour
        behaviour.calls += 1
        behaviour.correlation_ids.append(request.headers.get("x-correlation-id"))
        if behaviour.delay_s > 0:
            await asyncio.sleep(behaviour.delay_s)
        if behaviour.server_errors_next > 0:
            behaviour.server_errors_next -= 1
            return JSONResponse({"error": "service temporarily unavailable"}, 503,
                                headers={"Retry-After": "1"})
        if behaviour.garbage_next > 0:
            behaviour.garbage_next -= 1
            # Labelled JSON on purpose: clients must not trust the content type.
            return Response(b"<html><body>502 upstream hiccup", 200,
                            media_type="application/json")
        tin = request.path_params["tin"]
        raw_year = request.query_params.get("year")
        year = _parse_year(raw_year)
        if year is None:
            return JSONResponse({"error": f"year must be a year from {FIRST_YEAR} to this year",
                                 "year": raw_year}, 400)
        account = self.accounts.get(tin)
        if account is None:
            return JSONResponse({"error": "unknown taxpayer", "tin": tin}, 404)
        assessment = account.for_year(year)
        return JSONResponse({
            "tin": tin,
            "year": year,
            "state": assessment.state,
            "debt": {"amountCents": assessment.debt_cents, "ccy": CURRENCY},
            "issued": _issued_now(),
        })


async def _receive_history(behaviour: TaxBehaviour, request: Request) -> Response:
    """Store one contribution history in the bureau's own shape and hand out a receipt."""
    try:
        body = await request.json()
    except ValueError:
        return JSONResponse({"error": "body must be JSON"}, 400)
    if (not isinstance(body, dict) or not isinstance(body.get("tin"), str)
            or not isinstance(body.get("employments"), list)):
        return JSONResponse({"error": "tin and employments are required"}, 400)
    behaviour.inbox.append(body)
    return JSONResponse({"receiptNo": f"TB-IN-{len(behaviour.inbox):06d}"}, 200)


def create_app(behaviour: TaxBehaviour | None = None) -> Starlette:
    """Build the tax bureau's ASGI app; pass a ``behaviour`` to inject delays and faults."""
    bureau = _TaxBureau(behaviour or TaxBehaviour(), seed_accounts())
    state = bureau.behaviour

    async def inbox(request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse(list(state.inbox))
        return await _receive_history(state, request)

    app = Starlette(routes=[
        Route("/v2/taxpayers/{tin}/clearance", bureau.clearance, methods=["GET"]),
        Route("/v2/inbox/contribution-histories", inbox, methods=["GET", "POST"]),
    ])
    app.state.behaviour = bureau.behaviour
    return app
