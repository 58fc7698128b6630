"""The console's alarms page: the access anomalies the access watch raised, newest first.

Read from the read store (the watch keeps a row per anomaly it handed on), so
the page costs one small query whatever the ledger's length. A suspended
credential is resumed with ``interop-hub credentials resume`` (recorded with
the operator's name and reason); the page says so beside each suspension.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hub.service_layer.operators import ActiveSession, Permission

if TYPE_CHECKING:
    from hub.entrypoints.http.console.subject_page import ConsolePages

SHOWN = 100


def alarms_routes(router: APIRouter, pages: ConsolePages) -> None:
    """``GET /console/alarms``."""

    @router.get("/console/alarms")
    async def alarms(request: Request) -> Response:
        session = await pages.need(request, Permission.VIEW)
        if not isinstance(session, ActiveSession):
            return session
        anomalies = await asyncio.to_thread(pages.queries.projections.recent_anomalies, SHOWN)
        return pages.render(request, "alarms.html", "Alarms on unusual access", session,
                            anomalies=anomalies, shown=SHOWN)
