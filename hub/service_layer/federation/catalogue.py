"""Service catalogues: each hub publishes what it offers; its peers learn it over NATS.

Why learnt and not configured: the providing region owns its services and
their contracts, so a copy configured in every other region would drift from
it at the first change. Each hub answers ``fed.<region>.catalogue`` with its
local services and their request/response contract ids; each peer resolves
those ids in its *own* contract registry — a service whose contracts it does
not know cannot be translated and is left out with a warning (the registry
fingerprints exchanged for agreements will refine that check). Peers are asked
at start, every second until they first answer (a region started before its
peers, or cut off, catches up by itself), then every ``refresh_s``.

The last catalogue of each peer is cached in ``DIR/links/catalogues/<peer>.json``
(:class:`hub.adapters.peers.catalogue_cache.CatalogueCache`) and read back at
start, so exchanges routed before a restart can be relayed and forwarded while
the peer is still out of reach.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import structlog

from contracts import ContractRegistry
from contracts.errors import HubError
from contracts.identity import ServiceId
from hub.adapters.peers import subjects
from hub.adapters.peers.catalogue_cache import CatalogueCache, read_catalogue
from hub.adapters.peers.connection import LinkConnection, Request
from hub.adapters.peers.errors import LinkError
from hub.adapters.peers.messages import Catalogue, CatalogueEntry
from hub.service_layer.exchanges.routing import ServiceDefinition
from hub.service_layer.federation.directory import FederatedDirectory

log = structlog.get_logger("hub.service_layer.federation.catalogue")

REMOTE_ADAPTER = "remote-hub"
_RETRY_S = 1.0


def catalogue_of(directory: FederatedDirectory) -> Catalogue:
    """What this region offers its peers: its local services (never what it learnt)."""
    return Catalogue(
        region=directory.region,
        services=[
            CatalogueEntry(
                id=str(s.id),
                request=str(s.request.contract_id()),
                response=str(s.response.contract_id()),
                operation=s.operation,
                description=s.description,
                time_limit_s=s.time_limit_s,
            )
            for s in directory
        ],
    )


def remote_services(catalogue: Catalogue, registry: ContractRegistry) -> list[ServiceDefinition]:
    """The catalogue's services this region can translate, as remote service definitions."""
    services = []
    for entry in catalogue.services:
        try:
            sid = ServiceId.parse(entry.id)
            request, response = registry.get(entry.request), registry.get(entry.response)
        except HubError as exc:
            log.warning("peer service left out", peer=catalogue.region, service=entry.id,
                        reason=exc.message)
            continue
        services.append(
            ServiceDefinition(
                id=sid,
                request=request,
                response=response,
                operation=entry.operation,
                adapter=REMOTE_ADAPTER,
                endpoint=f"nats:{subjects.query(sid.region, sid.department, sid.service)}",
                description=entry.description,
                time_limit_s=entry.time_limit_s,
            )
        )
    return services


def restore(directory: FederatedDirectory, cache: CatalogueCache,
            registry: ContractRegistry) -> None:
    """Read every peer's cached catalogue into ``directory`` (the peers have not answered)."""
    for peer in directory.peers:
        catalogue = cache.load(peer)
        if catalogue is not None:
            directory.learn(peer, remote_services(catalogue, registry), answered=False)


class CatalogueLink:
    """Answers this region's catalogue and keeps the peers' catalogues learnt."""

    def __init__(
        self,
        connection: LinkConnection,
        directory: FederatedDirectory,
        registry: ContractRegistry,
        *,
        cache: CatalogueCache,
        timeout_s: float,
        refresh_s: float,
    ) -> None:
        self._cache = cache
        self._connection = connection
        self._directory = directory
        self._registry = registry
        self._timeout_s = timeout_s
        self._refresh_s = refresh_s

    async def start(self) -> None:
        """Answer ``fed.<region>.catalogue``."""
        await self._connection.serve(subjects.catalogue(self._directory.region), self._answer)

    async def _answer(self, _: Request) -> bytes:
        return catalogue_of(self._directory).model_dump_json().encode()

    async def refresh(self, peer: str) -> bool:
        """Ask ``peer`` for its catalogue and learn it; False when it could not be learnt."""
        try:
            msg = await self._connection.request(
                peer, subjects.catalogue(peer), b"", timeout_s=self._timeout_s
            )
            catalogue = read_catalogue(peer, msg.data)
            changed = self._directory.learn(peer, remote_services(catalogue, self._registry))
            if changed:
                await asyncio.to_thread(self._cache.save, catalogue)
        except LinkError as exc:
            log.info("peer catalogue not learnt", peer=peer, code=exc.code, reason=exc.message)
            return False
        if changed:
            log.info("peer catalogue learnt", peer=peer,
                     services=[str(s.id) for s in self._directory.remote(peer)])
        return True

    async def run(self, stop: asyncio.Event) -> None:
        """Learn every peer's catalogue, retrying the missing ones, until ``stop``."""
        while not stop.is_set():
            missing = [p for p in self._directory.peers if not self._directory.knows_peer(p)]
            for peer in missing or self._directory.peers:
                await self.refresh(peer)
            still_missing = any(not self._directory.knows_peer(p) for p in self._directory.peers)
            wait = _RETRY_S if still_missing else self._refresh_s
            try:
                await asyncio.wait_for(stop.wait(), timeout=wait)
            except TimeoutError:
                continue

    async def wait_until_learnt(self, peers: Iterable[str], timeout_s: float) -> bool:
        """Wait until the catalogues of ``peers`` are learnt; False if not within ``timeout_s``."""
        wanted = set(peers)
        deadline = asyncio.get_running_loop().time() + timeout_s
        while not all(self._directory.knows_peer(p) for p in wanted):
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return False
            for peer in wanted:
                if not self._directory.knows_peer(peer):
                    await self.refresh(peer)
            await asyncio.sleep(min(0.2, max(left, 0)))
        return True

