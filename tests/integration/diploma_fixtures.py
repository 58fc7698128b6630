"""The emulated Diploma Registry behind a running hub: its service over the shipped mappings,
the registry on a loopback port (with an outage knob), and what a client of it does.

Shared by the tests of documents carried by exchanges (test_documents_delivery.py) and of
attachments at the hub's own /soap ingress (test_soap_attachments.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from contracts.education import DiplomaVerification, DiplomaVerificationQuery
from contracts.identity import ServiceId
from hub.entrypoints.serve import Hub, run_hub
from hub.service_layer.exchanges.routing import ServiceDefinition
from hub.service_layer.security.purposes import Purpose
from hub.settings import HubSettings
from simulations.diploma_registry.app import PATH, Registry, registry_app
from tests.integration.hub_fixtures import department_token, grant

MAPPINGS = Path(__file__).parents[2] / "simulations" / "mappings"
SERVICE = "north/education/diploma-verification"
PROVIDER = "north/education"
CLIENT = "north/social-security"
PURPOSE = "benefit-eligibility"


@dataclass
class Outage:
    """How many of the next calls the registry answers ``503`` (after reading them whole)."""

    calls: int = 0


@pytest.fixture
def outage() -> Outage:
    return Outage()


@pytest.fixture
async def registry(outage: Outage) -> AsyncIterator[tuple[Registry, str]]:
    """The emulated registry on a free loopback port, and its address."""
    received = Registry()
    app = registry_app(received)

    @web.middleware
    async def unavailable(request: web.Request,
                          handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                          ) -> web.StreamResponse:
        if outage.calls > 0:
            outage.calls -= 1
            await request.read()
            return web.Response(status=503, text="registry restarting")
        return await handler(request)

    app.middlewares.append(unavailable)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield received, f"http://127.0.0.1:{runner.addresses[0][1]}{PATH}"
    finally:
        await runner.cleanup()


def diploma_service(endpoint: str, packaging: str) -> ServiceDefinition:
    """The registry's service as a services file declares it, over the shipped mapping."""
    return ServiceDefinition(
        id=ServiceId("north", "education", "diploma-verification"),
        request=DiplomaVerificationQuery, response=DiplomaVerification,
        operation="VerifyDiploma", adapter="soap-mapping", endpoint=endpoint,
        mapping=str(MAPPINGS / f"education.diploma-verification-{packaging}.toml"),
        purposes=(Purpose(PURPOSE, ("national_id", "verdict", "decision"),
                          legal_basis="Benefits Act s. 12"),),
    )


@contextlib.asynccontextmanager
async def diploma_hub(settings: HubSettings, endpoint: str, packaging: str
                      ) -> AsyncIterator[Hub]:
    """A running hub whose diploma-verification service is the registry at ``endpoint``,
    reached in ``packaging`` (mtom or swa); the client holds a right for the purpose."""
    async with run_hub(settings, [diploma_service(endpoint, packaging)]) as running:
        await grant(running, CLIENT, SERVICE, PURPOSE)
        yield running


def bearer(hub: Hub, department: str = CLIENT) -> dict[str, str]:
    return {"Authorization": f"Bearer {department_token(hub, department)}"}


async def supply(client: httpx.AsyncClient, hub: Hub, data: bytes, subject: str) -> str:
    """The client supplies ``data`` to the service's door; the document id."""
    supplied = await client.post(
        "/documents", headers=bearer(hub),
        data={"service": SERVICE, "purpose": PURPOSE, "subject": subject},
        files={"file": ("diploma.pdf", data, "application/pdf")})
    assert supplied.status_code == 201, supplied.text
    return str(supplied.json()["document_id"])


def events(hub: Hub, topic: str) -> list[object]:
    ledger = hub.ledger
    return [ledger.mapper.to_domain_event(n) for n in ledger.notifications(1, 10_000, (topic,))]
