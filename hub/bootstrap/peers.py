"""One region's links to its peers, composed: what ``run_hub`` starts when peers are set.

``RegionLinks`` is built before the hub's parts (its directory must be the
gateway's and the relay's) and run once they exist:

- a NATS connection of its own to the region's server (the leaf links carry
  ``fed.*`` subjects to and from the other regions, :mod:`hub.adapters.peers`);
- the catalogue: this region's answered, the peers' learnt
  (:mod:`hub.service_layer.federation.catalogue`);
- one durable consumer per peer on the region's own stream, whose deliveries
  the ordinary delivery worker settles through
  :class:`~hub.adapters.peers.remote_adapter.RemoteHubAdapter`
  (:mod:`hub.service_layer.federation.forwarding`);
- checkpoint gossip and its alarms (:mod:`hub.service_layer.federation.gossip`);
- the answer to a peer's history request, for online reconciliation
  (:mod:`hub.service_layer.federation.reconciliation.responder`).

The entry points that serve peers over the links' connection (the federation
ingress for peers' queries, :mod:`hub.entrypoints.nats.peer_ingress`, and the
``/peers`` HTTP routes, :mod:`hub.entrypoints.http.peer_routes`) are started by
``run_hub`` with :attr:`RegionLinks.connection` and :attr:`RegionLinks.directory`.

A region without peers never builds any of it (``run_hub`` checks
``settings.peers``), so a region on its own runs exactly as before.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from contracts import ContractRegistry
from hub.adapters.bus.port import Bus, ConsumerSpec, Handler
from hub.adapters.peers.catalogue_cache import CatalogueCache
from hub.adapters.peers.connection import LinkConnection
from hub.adapters.peers.errors import LinkError
from hub.adapters.peers.remote_adapter import RemoteHubAdapter
from hub.adapters.store.alarms_store import alarms_environment
from hub.adapters.store.ledger import Ledger
from hub.service_layer.audit import Auditor
from hub.service_layer.exchanges.routing import ServiceDefinition
from hub.service_layer.federation.catalogue import CatalogueLink, restore
from hub.service_layer.federation.directory import FederatedDirectory
from hub.service_layer.federation.forwarding import for_remote_calls, waiting_for_catalogue
from hub.service_layer.federation.gossip import AuditAlarms, CheckpointGossip
from hub.service_layer.federation.reconciliation.responder import HistoryResponder
from hub.service_layer.security.minimise import partial_model
from hub.settings import HubSettings
from translation.port import ProviderAdapter

log = structlog.get_logger("hub.bootstrap.peers")

CATALOGUE_REFRESH_S = 60.0


@dataclass
class _Running:
    """The parts that exist only while the links run."""

    connection: LinkConnection
    catalogue: CatalogueLink
    gossip: CheckpointGossip
    alarms: AuditAlarms


class RegionLinks:
    """A region's links to its peer regions (see the module docstring)."""

    def __init__(
        self,
        settings: HubSettings,
        services: Sequence[ServiceDefinition],
        registry: ContractRegistry,
    ) -> None:
        self.settings = settings
        self.directory = FederatedDirectory(settings.region, services, settings.peers)
        self._registry = registry
        self._cache = CatalogueCache(settings.data)
        restore(self.directory, self._cache, registry)
        self._parts: _Running | None = None

    @property
    def connection(self) -> LinkConnection:
        """The links' NATS connection (entry points serve peers on it); only while running."""
        return self.parts.connection

    @property
    def parts(self) -> _Running:
        """The running parts (catalogue, gossip, alarms); only inside :meth:`running`."""
        if self._parts is None:
            raise LinkError("the region links are not running")
        return self._parts

    def adapters(self, local: Mapping[str, ProviderAdapter]) -> Mapping[str, ProviderAdapter]:
        """The delivery worker's adapter table: the local adapters, plus peers' services."""
        return _AdapterTable(local, self)

    def remote_adapter(self, service: ServiceDefinition) -> RemoteHubAdapter:
        """The adapter that forwards ``service`` (of a peer) to the peer's hub."""
        return RemoteHubAdapter(
            service,
            self.parts.connection,
            disclosed=partial_model(service.response),
            origin=self.settings.region,
            timeout_s=self.settings.link_timeout_s,
        )

    @contextlib.asynccontextmanager
    async def running(
        self,
        nats_url: str,
        *,
        bus: Bus,
        deliver: Handler,
        ledger: Ledger,
        auditor: Auditor,
        nats_auth: dict[str, Any] | None = None,
    ) -> AsyncIterator[RegionLinks]:
        """Run the links for the duration of the block; ``deliver`` is the worker's handler."""
        peers = self.directory.peers
        async with contextlib.AsyncExitStack() as stack:
            parts = await self._open(stack, nats_url, auditor, nats_auth)
            await parts.catalogue.start()
            await HistoryResponder(parts.connection, self.settings, peers).start()
            await parts.gossip.start()
            stop = asyncio.Event()
            forward = waiting_for_catalogue(
                for_remote_calls(deliver, ledger), self.directory, parts.catalogue.refresh,
                backoff_s=self.settings.retry_backoff_s,
            )
            tasks = [
                asyncio.create_task(parts.catalogue.run(stop), name="links-catalogue"),
                asyncio.create_task(parts.gossip.run(stop), name="links-gossip"),
                *(
                    asyncio.create_task(bus.consume(self._spec(peer), forward, stop),
                                        name=f"forward-{peer}")
                    for peer in peers
                ),
            ]
            for task in tasks:
                task.add_done_callback(_report_crash)
            stack.push_async_callback(_stop, stop, tasks)
            log.info("region links running", region=self.settings.region, peers=list(peers))
            yield self

    async def _open(
        self, stack: contextlib.AsyncExitStack, nats_url: str, auditor: Auditor,
        nats_auth: dict[str, Any] | None = None,
    ) -> _Running:
        """Connect and build the parts; ``stack`` closes them (connection last)."""
        settings = self.settings
        connection = await LinkConnection.connect(nats_url, settings.region, auth=nats_auth)
        stack.push_async_callback(connection.close)
        alarms = await asyncio.to_thread(
            AuditAlarms, alarms_environment(settings.store, settings.data), region=settings.region
        )
        stack.callback(alarms.close)
        catalogue = CatalogueLink(
            connection, self.directory, self._registry, cache=self._cache,
            timeout_s=settings.link_timeout_s, refresh_s=CATALOGUE_REFRESH_S,
        )
        gossip = CheckpointGossip(
            connection, auditor, alarms, self.directory.peers,
            timeout_s=settings.link_timeout_s, pull_s=settings.gossip_interval_s,
        )
        self._parts = _Running(connection, catalogue, gossip, alarms)
        stack.callback(self._forget_parts)
        return self._parts

    def _forget_parts(self) -> None:
        self._parts = None

    def _spec(self, peer: str) -> ConsumerSpec:
        return ConsumerSpec(
            name=f"forward-{peer}",
            subject_filter=self.directory.peer_filter(peer),
            max_deliver=self.settings.max_deliver,
            ack_wait_s=self.settings.ack_wait_s,
        )


class _AdapterTable(Mapping[str, ProviderAdapter]):
    """Local adapters by service id; a peer's service gets a remote adapter on lookup."""

    def __init__(self, local: Mapping[str, ProviderAdapter], links: RegionLinks) -> None:
        self._local = local
        self._links = links

    def __getitem__(self, service: str) -> ProviderAdapter:
        if service in self._local:
            return self._local[service]
        definition = self._links.directory.get(service)  # UnknownServiceError if unknown
        if not self._links.directory.is_remote(definition):
            raise KeyError(service)
        return self._links.remote_adapter(definition)

    def __iter__(self) -> Iterator[str]:
        yield from self._local
        yield from (str(s.id) for s in self._links.directory.remote())

    def __len__(self) -> int:
        return len(self._local) + len(self._links.directory.remote())


def _report_crash(task: asyncio.Task[None]) -> None:
    # A link loop that dies is a partition nobody would notice otherwise.
    if not task.cancelled() and task.exception() is not None:
        log.error("region link task crashed", task=task.get_name(), error=repr(task.exception()))


async def _stop(stop: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    stop.set()
    _, pending = await asyncio.wait(tasks, timeout=15)
    for task in pending:
        task.cancel()
