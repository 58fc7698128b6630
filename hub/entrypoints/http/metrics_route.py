"""Service metrics over HTTP: Prometheus text at ``/metrics``, JSON at ``/metrics/services``."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Response

from hub.adapters.projections.live import LiveProjections
from hub.adapters.projections.prometheus import CONTENT_TYPE


def metrics_router(projections: LiveProjections,
                   more: Callable[[], str] | None = None) -> APIRouter:
    """Routes that read the hub's live read models (off the event loop: the stores block);
    ``more`` adds families of other read models (e.g. the cases') to ``/metrics``."""
    router = APIRouter(tags=["operations"])

    @router.get(
        "/metrics",
        summary="Service metrics in Prometheus text format",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE: {}}}},
    )
    async def prometheus() -> Response:
        text = await asyncio.to_thread(projections.prometheus_text)
        if more is not None:
            text += await asyncio.to_thread(more)
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
