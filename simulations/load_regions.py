"""The regions of a load run: N leaf-linked hubs, each with M emulated departments.

Department ``k`` of a region is an emulated legacy system of its own (its own
HTTP server): even ``k`` a SOAP social-security bureau (``social-security``,
``social-security-2``, ...), odd ``k`` a JSON tax bureau (``tax``, ``tax-3``,
...). The first tax bureau also subscribes to the region's issued contribution
histories, so issuing a record produces a notification exchange. With N > 1
the regions are a star of leaf links (:func:`hub.adapters.peers.star_settings`, as
``demo --regions N``), introduced to each other, with the agreements of
:func:`simulations.federation_scenarios.agreements` (south recognises north's
contribution histories), every hub through ``run_hub``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from contracts.identity import ServiceId
from contracts.social_security import ContributionHistory, ContributionHistoryQuery
from contracts.tax import TaxClearance, TaxClearanceQuery
from hub.adapters.peers import REGION_NAMES, star_settings
from hub.entrypoints.http.asgi_server import serve_asgi
from hub.entrypoints.serve import Hub, run_hub
from hub.service_layer.exchanges.routing import ServiceDefinition
from hub.service_layer.federation.app import utc_now
from hub.service_layer.notifications import Subscription
from hub.settings import HubSettings
from simulations.departments import (
    CONTRIBUTION_HISTORY_PURPOSES,
    MAPPINGS,
    SOCIAL_SECURITY_MAPPING,
    TAX_CLEARANCE_PURPOSES,
    TAX_MAPPING,
)
from simulations.federation_scenarios import CONTRIBUTIONS, FederatedRegion, prepare
from simulations.social_security_bureau import create_app as social_security_app
from simulations.tax_bureau import create_app as tax_app

INBOX_MAPPING = MAPPINGS / "tax.contribution-history-inbox.toml"
_LINK_WAIT_S = 30.0


@dataclass
class LoadRegion:
    """One running region of a load run and the services its departments offer."""

    name: str
    hub: Hub
    history_services: list[str] = field(default_factory=list)  # SOAP-backed
    clearance_services: list[str] = field(default_factory=list)  # JSON-backed
    federated: FederatedRegion | None = None  # its federation, with N > 1

    async def recognised(self) -> int:
        """How many attestations from peers this region has recognised so far."""
        if self.federated is None:
            return 0
        app = self.federated.federation.app
        return int((await self.federated.link.call(app.recognition_counts))["recognised"])


def department_name(kind: str, index: int) -> str:
    """``social-security``/``tax`` for the first of a kind, then with the index appended."""
    return kind if index < 2 else f"{kind}-{index}"


async def _department(stack: contextlib.AsyncExitStack, region: str, index: int
                      ) -> ServiceDefinition:
    """Start department ``index``'s emulated system; the service it offers."""
    if index % 2 == 0:
        name = department_name("social-security", index)
        base = await stack.enter_async_context(serve_asgi(social_security_app(), name=name))
        return ServiceDefinition(
            id=ServiceId(region, name, "contribution-history"), request=ContributionHistoryQuery,
            response=ContributionHistory, operation="ContributionHistory",
            adapter="soap-mapping", endpoint=f"{base}/ws/insurance?wsdl",
            mapping=str(SOCIAL_SECURITY_MAPPING), description="Insured periods (load run)",
            purposes=CONTRIBUTION_HISTORY_PURPOSES)
    name = department_name("tax", index)
    base = await stack.enter_async_context(serve_asgi(tax_app(), name=name))
    return ServiceDefinition(
        id=ServiceId(region, name, "tax-clearance"), request=TaxClearanceQuery,
        response=TaxClearance, operation="TaxClearance", adapter="json-mapping",
        endpoint=base, mapping=str(TAX_MAPPING), description="Tax clearance (load run)",
        purposes=TAX_CLEARANCE_PURPOSES)


async def _start(stack: contextlib.AsyncExitStack, settings: HubSettings, departments: int
                 ) -> LoadRegion:
    services = [await _department(stack, settings.region, k) for k in range(departments)]
    tax = next(s for s in services if s.adapter == "json-mapping")
    inbox = Subscription(str(tax.id.provider), CONTRIBUTIONS, "json-mapping", tax.endpoint,
                         str(INBOX_MAPPING))
    hub = await stack.enter_async_context(run_hub(settings, services, subscriptions=[inbox]))
    return LoadRegion(
        settings.region, hub,
        [str(s.id) for s in services if s.adapter == "soap-mapping"],
        [str(s.id) for s in services if s.adapter == "json-mapping"])


async def _await_links(running: Sequence[LoadRegion]) -> None:
    for region in running:
        links = region.hub.links
        if links is None:
            continue
        if not await links.parts.catalogue.wait_until_learnt(links.directory.peers,
                                                             _LINK_WAIT_S):
            raise TimeoutError(f"{region.name} could not reach its peers within "
                               f"{_LINK_WAIT_S:.0f} s")


@contextlib.asynccontextmanager
async def load_regions(base: HubSettings, *, regions: int, departments: int
                       ) -> AsyncIterator[list[LoadRegion]]:
    """Run the regions for the block (data in ``base.data/<region>``)."""
    if not 1 <= regions <= len(REGION_NAMES):
        raise ValueError(f"regions must be 1..{len(REGION_NAMES)}")
    if departments < 2:
        raise ValueError("departments must be at least 2 (one SOAP, one JSON)")
    names = REGION_NAMES[:regions]
    async with contextlib.AsyncExitStack() as stack:
        running = [await _start(stack, s, departments)
                   for s in star_settings(base, names, base.data)]
        await _await_links(running)
        for region in running:
            transport = region.hub.federation
            if transport is not None and regions > 1:
                region.federated = FederatedRegion(region.hub.settings, transport.federation,
                                                   transport.link)
        federated = {r.name: r.federated for r in running if r.federated is not None}
        if len(federated) > 1:
            await prepare(federated, now=utc_now())
        yield running
