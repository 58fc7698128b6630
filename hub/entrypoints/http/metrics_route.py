"""Service metrics over HTTP: Prometheus text at ``/metrics``, JSON at ``/metrics/services``."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from fastapi import APIRouter, Response

from hub.adapters.projections.live import LiveProjections
from hub.adapters.projections.prometheus import CONTENT_TYPE


def metrics_router(projections: LiveProjections) -> APIRouter:
    """Routes that read the hub's live read models (off the event loop: the stores block)."""
    router = APIRouter(tags=["operations"])

    @router.get(
        "/metrics",
        summary="Service metrics in Prometheus text format",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE: {}}}},
    )
    async def prometheus() -> Response:
        text = await asyncio.to_thread(projections.prometheus_text)
        return Response(text, media_type=CONTENT_TYPE)

    @router.get("/metrics/services", summary="Service metrics per provider department and service")
    async def services() -> list[dict[str, Any]]:
        stats = await asyncio.to_thread(projections.service_metrics)
        return [
            {
                **dataclasses.asdict(s),
                "pending": s.pending,
                "success_rate": s.success_rate,
                "breaches": s.breaches,
            }
            for s in stats
        ]

    return router
