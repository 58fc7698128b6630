"""A region whose hub also fronts the emulated X-Road example provider."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from hub.entrypoints.http.asgi_server import serve_asgi
from hub.entrypoints.serve import Hub, run_hub
from hub.settings import HubSettings
from simulations.departments import DepartmentEndpoints, demo_rights, region_services
from simulations.social_security_bureau import create_app as social_security_app
from simulations.tax_bureau import create_app as tax_app
from simulations.xroad_example import (
    ENDPOINT_PATH,
    XRoadExampleBehaviour,
    create_app,
    xroad_example_services,
)
from simulations.xroad_example.services import XROAD_PURPOSE
from tests.integration.hub_fixtures import grant, grant_all

# X-Road messages have no place for the hub's purpose: clients send it as HTTP header.
XROAD_HEADERS = {"X-Hub-Purpose": XROAD_PURPOSE}

# X-Road's sample messages come from this client subsystem.
SAMPLE_CLIENT = "DEV/COM/4321/TestClient"
SAMPLE_DEPARTMENT = "north/test-client"


@dataclass
class XRoadRegion:
    """A running hub with the demo departments and the X-Road example provider."""

    hub: Hub
    provider: XRoadExampleBehaviour


@contextlib.asynccontextmanager
async def running_xroad_region(settings: HubSettings) -> AsyncIterator[XRoadRegion]:
    """Start the departments and a hub that maps X-Road's sample client onto a department."""
    behaviour = XRoadExampleBehaviour()
    settings = settings.model_copy(update={"xroad_clients": {SAMPLE_CLIENT: SAMPLE_DEPARTMENT}})
    async with contextlib.AsyncExitStack() as stack:
        ss = await stack.enter_async_context(serve_asgi(social_security_app()))
        tax = await stack.enter_async_context(serve_asgi(tax_app()))
        xroad = await stack.enter_async_context(serve_asgi(create_app(behaviour), name="xroad"))
        services = [
            *region_services(settings.region, DepartmentEndpoints(f"{ss}/ws/insurance?wsdl", tax)),
            *xroad_example_services(settings.region, f"{xroad}{ENDPOINT_PATH}"),
        ]
        hub = await stack.enter_async_context(run_hub(settings, services))
        await grant_all(hub, demo_rights(settings.region))
        for service in xroad_example_services(settings.region, ""):
            await grant(hub, SAMPLE_DEPARTMENT, str(service.id), XROAD_PURPOSE)
        yield XRoadRegion(hub, behaviour)
