"""Start a whole region (emulated departments + hub) for integration tests."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

from hub.bootstrap import Hub, run_hub
from hub.domain.credential import CredentialKind
from hub.entrypoints.asgi_server import serve_asgi
from hub.settings import HubSettings
from simulations.departments import DepartmentEndpoints, region_services
from simulations.social_security_bureau import BureauBehaviour
from simulations.social_security_bureau import create_app as social_security_app
from simulations.tax_bureau import TaxBehaviour
from simulations.tax_bureau import create_app as tax_app


def department_token(hub: Hub, department: str, ttl: dt.timedelta = dt.timedelta(days=1)) -> str:
    """Issue a bearer token for ``department`` (region/department) on a running hub."""
    assert hub.credentials is not None
    return hub.credentials.issue(department, CredentialKind.DEPARTMENT, ttl).token


def auth_headers(hub: Hub, department: str, **extra: str) -> dict[str, str]:
    """Headers of a request from ``department``: a fresh token, and its X-Hub-Client."""
    return {"Authorization": f"Bearer {department_token(hub, department)}",
            "X-Hub-Client": department, **extra}


@dataclass
class Region:
    """A running hub with its two departments and their fault-injection knobs."""

    hub: Hub
    social_security: BureauBehaviour
    tax: TaxBehaviour


@contextlib.asynccontextmanager
async def running_region(settings: HubSettings) -> AsyncIterator[Region]:
    ss_behaviour, tax_behaviour = BureauBehaviour(), TaxBehaviour()
    async with contextlib.AsyncExitStack() as stack:
        ss = await stack.enter_async_context(serve_asgi(social_security_app(ss_behaviour)))
        tax = await stack.enter_async_context(serve_asgi(tax_app(tax_behaviour)))
        endpoints = DepartmentEndpoints(f"{ss}/ws/insurance?wsdl", tax)
        hub = await stack.enter_async_context(
            run_hub(settings, region_services(settings.region, endpoints))
        )
        yield Region(hub, ss_behaviour, tax_behaviour)
