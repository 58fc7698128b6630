"""The hot ingress route answered without FastAPI's routing and dependency machinery.

``POST /soap`` is the path every mediated SOAP query takes. Through FastAPI it
crossed the exception middleware, the async exit stack, the router's linear
match over every route, the route handler and dependency resolution before
reaching :meth:`SoapIngress.handle`, which needs none of them (it takes the
request and returns a response). :class:`HotRoutes` sits just inside
:class:`~hub.entrypoints.failures.FailureMiddleware` and hands that one
method-and-path straight to the ingress; every other request goes on through
FastAPI as before. The FastAPI route stays declared, so the OpenAPI document
still describes the endpoint and an app mounted under a ``root_path`` (whose
paths do not match here) is still served by it.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.entrypoints.soap_ingress import SOAP_PATH, SoapIngress


class HotRoutes:
    """ASGI middleware: ``POST /soap`` straight to the SOAP ingress, the rest to ``app``."""

    def __init__(self, app: ASGIApp, *, soap: SoapIngress) -> None:
        self._app = app
        self._soap = soap

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and scope["path"] == SOAP_PATH
                and scope["method"] == "POST"):
            response = await self._soap.handle(Request(scope, receive))
            await response(scope, receive, send)
            return
        await self._app(scope, receive, send)
