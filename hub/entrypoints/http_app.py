"""The hub's HTTP application: JSON ingress, SOAP ingress, service list, health."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI

from hub.entrypoints.json_ingress import json_ingress_router
from hub.entrypoints.soap_ingress import SoapIngress, soap_router
from hub.gateway import Gateway


def create_http_app(
    gateway: Gateway,
    *,
    max_payload_bytes: int,
    region: str,
    xroad_clients: Mapping[str, str] | None = None,
    routers: Sequence[APIRouter] = (),
    mounts: Sequence[Callable[[FastAPI], None]] = (),
) -> FastAPI:
    """Build the ASGI app for one region's hub (nothing global, nothing at import).

    ``xroad_clients`` maps X-Road client ids onto departments (``HUB_XROAD_CLIENTS``);
    ``routers`` add other parts' routes (e.g. ``/metrics`` from the read models, ``/health``,
    the console); ``mounts`` attach sub-applications (the console's static files).
    """
    app = FastAPI(
        title=f"interop-hub — region {region}",
        version="0.1.0",
        description=(
            "Departments query each other's services through the hub. Send the request "
            "contract as JSON to `/services/{region}/{department}/{service}` with the "
            "`X-Hub-Client` header, or use SOAP at `/soap` (WSDL at `/soap?wsdl`)."
        ),
    )
    app.include_router(json_ingress_router(gateway, max_payload_bytes=max_payload_bytes))
    soap = SoapIngress(gateway, max_payload_bytes=max_payload_bytes, xroad_clients=xroad_clients)
    app.include_router(soap_router(soap))

    @app.get("/services", tags=["services"], summary="Services offered in this region")
    async def services() -> list[dict[str, Any]]:
        return [
            {
                "id": str(s.id),
                "operation": s.operation,
                "request": str(s.request.contract_id()),
                "response": str(s.response.contract_id()),
                "description": s.description,
            }
            for s in gateway.directory
        ]

    for router in routers:  # /health, /metrics, the console and others come from here
        app.include_router(router)
    for mount in mounts:
        mount(app)
    return app
