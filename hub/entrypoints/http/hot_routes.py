"""The hot ingress routes answered in front of FastAPI, its routing and its middleware.

``POST /soap`` and ``POST /services/{service}`` are the paths every mediated
query takes. Through FastAPI they crossed Starlette's error middleware, FastAPI's
telemetry and body-limit middleware, the exception middleware, the async exit
stack, the router's linear match over every route, the route handler and
dependency resolution before reaching the ingress's ``handle``, which needs none
of them (it takes the request, and for JSON the service id, and returns a
response; the ingress bounds the body itself). :class:`HubApp` is the FastAPI app
with one difference: those requests go straight from the server to the ingress,
inside their own :class:`~hub.entrypoints.http.failures.FailureMiddleware` (never
a bare 500, as for every other route, which still meets the one inside FastAPI's
stack). Every ``POST`` under ``/services/`` reached the same handler through
FastAPI too (one route per service, and a catch-all that records an unknown one),
with the rest of the path as the service id. The FastAPI routes stay declared, so
the OpenAPI document still describes the endpoints, and an app served under a
``root_path`` (whose paths do not match here) goes through FastAPI as before.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.entrypoints.http.failures import FailureMiddleware
from hub.entrypoints.http.json_ingress import SERVICES_PREFIX, JsonIngress
from hub.entrypoints.http.soap_ingress import SOAP_PATH, SoapIngress
from hub.service_layer.exchanges.gateway import Gateway


def is_hot(scope: Scope) -> bool:
    """Whether ``scope`` is an ingress ``POST`` (a query) that :class:`HotRoutes` answers."""
    if scope["type"] != "http" or scope["method"] != "POST":
        return False
    path: str = scope["path"]
    return path == SOAP_PATH or path.startswith(SERVICES_PREFIX)


class HotRoutes:
    """ASGI app: the ingresses' ``POST``s (see :func:`is_hot`) straight to their handlers."""

    def __init__(self, *, soap: SoapIngress, json: JsonIngress) -> None:
        self._soap = soap
        self._json = json

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if path == SOAP_PATH:
            response = await self._soap.handle(Request(scope, receive))
        else:
            response = await self._json.handle(Request(scope, receive),
                                               path[len(SERVICES_PREFIX):])
        await response(scope, receive, send)


class HubApp(FastAPI):
    """The hub's FastAPI app, whose queries (:func:`is_hot`) skip FastAPI on the way in."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._hot: ASGIApp | None = None

    def serve_hot(self, *, soap: SoapIngress, json: JsonIngress, gateway: Gateway) -> None:
        """Answer queries with ``soap`` and ``json``, any failure by the gateway's record."""
        self._hot = FailureMiddleware(HotRoutes(soap=soap, json=json), gateway=gateway)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._hot is not None and not self.root_path and is_hot(scope):
            scope["app"] = self  # what Starlette sets: routes find the app's state by it
            await self._hot(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
