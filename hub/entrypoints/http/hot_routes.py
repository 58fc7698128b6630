"""The hot ingress routes answered without FastAPI's routing and dependency machinery.

``POST /soap`` and ``POST /services/{service}`` are the paths every mediated
query takes. Through FastAPI they crossed the exception middleware, the async
exit stack, the router's linear match over every route, the route handler and
dependency resolution before
reaching the ingress's ``handle``, which needs none of them (it takes the
request, and for JSON the service id, and returns a response). :class:`HotRoutes`
sits just inside :class:`~hub.entrypoints.http.failures.FailureMiddleware` and hands
those requests straight to the ingress; every other request goes on through
FastAPI as before. Every ``POST`` under ``/services/`` reached the same handler
through FastAPI too (one route per service, and a catch-all that records an
unknown one), with the rest of the path as the service id. The FastAPI routes
stay declared, so the OpenAPI document still describes the endpoints and an app
mounted under a ``root_path`` (whose paths do not match here) is still served.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.entrypoints.http.json_ingress import SERVICES_PREFIX, JsonIngress
from hub.entrypoints.http.soap_ingress import SOAP_PATH, SoapIngress


class HotRoutes:
    """ASGI middleware: the ingresses' ``POST``s straight to their handlers, the rest to ``app``."""

    def __init__(self, app: ASGIApp, *, soap: SoapIngress, json: JsonIngress) -> None:
        self._app = app
        self._soap = soap
        self._json = json

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            path: str = scope["path"]
            if path == SOAP_PATH:
                response = await self._soap.handle(Request(scope, receive))
                await response(scope, receive, send)
                return
            if path.startswith(SERVICES_PREFIX):
                service = path[len(SERVICES_PREFIX):]
                response = await self._json.handle(Request(scope, receive), service)
                await response(scope, receive, send)
                return
        await self._app(scope, receive, send)
