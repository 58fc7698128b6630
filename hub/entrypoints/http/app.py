"""The hub's HTTP application: JSON ingress, SOAP ingress, service list, health."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI

from hub.entrypoints.http.auth import Authenticator, RequestRefused, refused_handler
from hub.entrypoints.http.failures import FailureMiddleware
from hub.entrypoints.http.hot_routes import HubApp
from hub.entrypoints.http.json_ingress import JsonIngress, json_ingress_router
from hub.entrypoints.http.openapi_defs import hoist_defs
from hub.entrypoints.http.openapi_refusals import document_refusals
from hub.entrypoints.http.soap_attachments import AttachedSoapIngress
from hub.entrypoints.http.soap_ingress import SoapIngress, soap_router
from hub.entrypoints.http.soap_operations import SoapOperation
from hub.service_layer.documents.supply import Documents
from hub.service_layer.exchanges.gateway import Gateway


def create_http_app(
    gateway: Gateway,
    *,
    max_payload_bytes: int,
    region: str,
    authenticator: Authenticator,
    xroad_clients: Mapping[str, str] | None = None,
    routers: Sequence[APIRouter] = (),
    mounts: Sequence[Callable[[FastAPI], None]] = (),
    documents: Documents | None = None,
    soap_operations: Sequence[SoapOperation] = (),
) -> FastAPI:
    """Build the ASGI app for one region's hub (nothing global, nothing at import).

    ``xroad_clients`` maps X-Road client ids onto departments (``HUB_XROAD_CLIENTS``);
    ``routers`` add other parts' routes (e.g. ``/metrics`` from the read models, ``/health``,
    the console); ``mounts`` attach sub-applications (the console's static files);
    ``authenticator`` checks every caller's bearer token (:mod:`hub.entrypoints.http.auth`);
    with ``documents``, ``/soap`` also takes queries with attachments (SwA, MTOM);
    ``soap_operations`` are the hub's own operations at ``/soap`` (a case step's decision).
    """
    app = HubApp(
        title=f"interop-hub — region {region}",
        version="0.1.0",
        description=(
            "Departments query each other's services through the hub. Send the request "
            "contract as JSON to `/services/{region}/{department}/{service}` with "
            "`Authorization: Bearer <token>` (issued by `interop-hub credentials issue`), "
            "or use SOAP at `/soap` (WSDL at `/soap?wsdl`) with the same header."
        ),
    )
    app.state.authenticator = authenticator
    app.state.gateway = gateway
    app.add_exception_handler(RequestRefused, refused_handler)
    soap = (SoapIngress(gateway, max_payload_bytes=max_payload_bytes, xroad_clients=xroad_clients,
                        operations=soap_operations)
            if documents is None else AttachedSoapIngress(  # hub.entrypoints.http.soap_attachments
                gateway, documents, max_payload_bytes=max_payload_bytes,
                xroad_clients=xroad_clients, operations=soap_operations))
    json_ingress = JsonIngress(gateway, max_payload_bytes=max_payload_bytes)
    # Queries go to the ingresses in front of FastAPI (hub.entrypoints.http.hot_routes),
    # inside a failure handler of their own; every other route meets this one.
    app.serve_hot(soap=soap, json=json_ingress, gateway=gateway)
    app.add_middleware(FailureMiddleware, gateway=gateway)  # never a bare 500
    app.include_router(json_ingress_router(json_ingress))
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
    _declare_bearer(app)
    return app


def _declare_bearer(app: FastAPI) -> None:
    """Name the bearer scheme in the OpenAPI document (operations refer to it)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            # contracts' nested models reachable by $ref; every status an ingress answers
            schema = document_refusals(hoist_defs(build()))
            schema.setdefault("components", {}).setdefault("securitySchemes", {})["bearer"] = {
                "type": "http", "scheme": "bearer",
                "description": "A hub token, ihk_<credential id>_<secret>",
            }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
