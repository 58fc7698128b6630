"""Start a whole region (emulated departments + hub) for integration tests."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from uuid import UUID

from hub.domain.credential import CredentialKind
from hub.domain.exchange import Status
from hub.entrypoints.http.asgi_server import serve_asgi
from hub.entrypoints.serve import Hub, run_hub
from hub.service_layer.exchanges.routing import ServiceDefinition
from hub.settings import HubSettings
from simulations.departments import (
    CASE_PURPOSE,
    DepartmentEndpoints,
    demo_rights,
    region_services,
)
from simulations.social_security_bureau import BureauBehaviour
from simulations.social_security_bureau import create_app as social_security_app
from simulations.tax_bureau import TaxBehaviour
from simulations.tax_bureau import create_app as tax_app
from tests.waiting import wait_until_async


def department_token(hub: Hub, department: str, ttl: dt.timedelta = dt.timedelta(days=1)) -> str:
    """Issue a bearer token for ``department`` (region/department) on a running hub."""
    assert hub.credentials is not None
    return hub.credentials.issue(department, CredentialKind.DEPARTMENT, ttl).token


def auth_headers(hub: Hub, department: str, **extra: str) -> dict[str, str]:
    """Headers of a request from ``department``: a fresh token, its X-Hub-Client and the
    purpose every demo right covers (``extra`` may name another, or ``X-Hub-Purpose=""``)."""
    headers = {"Authorization": f"Bearer {department_token(hub, department)}",
               "X-Hub-Client": department, "X-Hub-Purpose": PURPOSE, **extra}
    return {k: v for k, v in headers.items() if v != ""}


@dataclass
class Region:
    """A running hub with its two departments and their fault-injection knobs."""

    hub: Hub
    social_security: BureauBehaviour
    tax: TaxBehaviour


# What tests send as X-Hub-Purpose when minimisation is not what they look at: the
# purpose both demo services declare with all their fields on a legal basis.
PURPOSE = CASE_PURPOSE
PURPOSE_HEADERS = {"X-Hub-Purpose": PURPOSE}

Grant = tuple[str, str, tuple[str, ...]]


async def grant(hub: Hub, client: str, service: str, *purposes: str) -> None:
    """Grant ``client`` a right on ``service`` through the hub's access service (an event)."""
    assert hub.access is not None
    await asyncio.to_thread(hub.access.rights.grant, client, service, purposes, by="test")


async def revoke(hub: Hub, client: str, service: str) -> None:
    """Revoke a right through the hub's access service."""
    assert hub.access is not None
    await asyncio.to_thread(hub.access.rights.revoke, client, service, by="test")


async def grant_all(hub: Hub, grants: Iterable[Grant]) -> None:
    for client, service, purposes in grants:
        await grant(hub, client, service, *purposes)


@contextlib.asynccontextmanager
async def running_region(
    settings: HubSettings, *, grants: Iterable[Grant] | None = None,
    more_services: Sequence[ServiceDefinition] = (),
) -> AsyncIterator[Region]:
    """The region with ``grants`` given (default: the demo departments' rights, see
    :func:`simulations.departments.demo_rights`; pass ``()`` to start with none), offering
    ``more_services`` besides its two departments' (e.g. case steps' services)."""
    ss_behaviour, tax_behaviour = BureauBehaviour(), TaxBehaviour()
    async with contextlib.AsyncExitStack() as stack:
        ss = await stack.enter_async_context(serve_asgi(social_security_app(ss_behaviour)))
        tax = await stack.enter_async_context(serve_asgi(tax_app(tax_behaviour)))
        endpoints = DepartmentEndpoints(f"{ss}/ws/insurance?wsdl", tax)
        hub = await stack.enter_async_context(
            run_hub(settings, [*region_services(settings.region, endpoints), *more_services])
        )
        if grants is None:
            grants = demo_rights(settings.region, settings.peers)
        await grant_all(hub, grants)
        yield Region(hub, ss_behaviour, tax_behaviour)


async def completed(hub: Hub, exchange_id: str | UUID, timeout_s: float = 5.0) -> None:
    """Wait (bounded) until an answered exchange records ``Completed``: the hub records it
    after the reply is written, so a client may read its answer a moment before."""
    exchange = UUID(str(exchange_id))
    await wait_until_async(lambda: hub.ledger.get(exchange).status is Status.COMPLETED,
                           timeout_s=timeout_s, interval_s=0.01,
                           message=f"exchange {exchange} completed")
