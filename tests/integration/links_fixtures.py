"""Regions joined by NATS leaf nodes, each a whole hub with its departments, for tests.

Each region's nats-server is started here (not by the hub) on a fixed client
port, so a test can stop it to cut the region off and start it again to heal:
the hub's connections and the leaf link reconnect by themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hub.adapters.nats.server import NatsServerConfig, NatsServerProcess, free_port
from hub.adapters.peers import star_settings
from hub.service_layer.exchanges.routing import ServiceDefinition
from hub.settings import HubSettings
from tests.integration.hub_fixtures import Region, running_region


@dataclass
class LinkedRegion:
    """A running region hub with its departments, and its own nats-server."""

    name: str
    region: Region
    server: NatsServerProcess
    settings: HubSettings

    @property
    def hub(self):  # type: ignore[no-untyped-def]
        return self.region.hub


def _server(settings: HubSettings) -> NatsServerProcess:
    port = free_port()
    return NatsServerProcess(
        NatsServerConfig(
            name=f"hub-{settings.region}",
            workdir=settings.data / "nats",
            jetstream_domain=settings.region,
            leafnode_port=settings.leaf_port,
            leaf_remotes=settings.leaf_remotes,
            # The same client port after a restart, so the hub's clients reconnect.
            extra=[f'listen: "127.0.0.1:{port}"'],
        )
    )


@contextlib.asynccontextmanager
async def linked_regions(
    base: HubSettings, names: Sequence[str],
    more_services: Mapping[str, Sequence[ServiceDefinition]] | None = None, **overrides: Any
) -> AsyncIterator[dict[str, LinkedRegion]]:
    """Start ``names`` as a star of regions (the first the centre); yield them by name.
    ``more_services``: services a region offers besides its two departments', by region."""
    regions: dict[str, LinkedRegion] = {}
    async with contextlib.AsyncExitStack() as stack:
        for settings in star_settings(base, names, base.data):
            server = _server(settings)
            await asyncio.to_thread(server.start)
            stack.callback(server.stop)
            settings = settings.model_copy(update={"nats_url": server.url, **overrides})
            region = await stack.enter_async_context(running_region(
                settings, more_services=(more_services or {}).get(settings.region, ())))
            regions[settings.region] = LinkedRegion(settings.region, region, server, settings)
        for linked in regions.values():
            links = linked.hub.links
            learnt = await links.parts.catalogue.wait_until_learnt(links.directory.peers, 20)
            assert learnt, f"{linked.name} did not learn its peers' catalogues"
        yield regions

