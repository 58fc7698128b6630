"""A service directory that also knows the services of peer regions.

Local services are the region's own (as
:class:`hub.service_layer.exchanges.routing.ServiceDirectory`
knows them); remote services are learnt from each peer's published catalogue
(:mod:`hub.service_layer.federation.catalogue`) and replaced whole each time a peer's catalogue is
learnt again. Iterating the directory yields the local services only, so every
consumer that builds per-service surfaces (the JSON routes, the SOAP
ingress's body-element table and WSDL, ``GET /services``) is unchanged; looking
a service up (``get``, ``in``) finds remote ones too, which is all the gateway
and the outbox relay need.

A service a peer stops listing is *retired*, not forgotten: the outbox relay
must still be able to route exchanges accepted for it (the peer then refuses
them as unknown), and an exception there would stop the relay. For the same
reason the last catalogue of each peer is cached in the data folder and read
back at start (:class:`hub.adapters.peers.catalogue_cache.CatalogueCache`), before the peer
has answered.

Exchanges for a remote service wait in the region's *own* stream under
``hub.<region>.deliver._peer.<peer>.…`` (no department code can be ``_peer``),
consumed by one durable consumer per peer region.
"""

from __future__ import annotations

from collections.abc import Iterable

from hub.adapters.peers import subjects
from hub.adapters.peers.errors import CatalogueError
from hub.errors import UnknownServiceError
from hub.service_layer.exchanges.routing import ServiceDefinition, ServiceDirectory


class FederatedDirectory(ServiceDirectory):
    """The region's services, plus those its peers published."""

    def __init__(
        self, region: str, services: Iterable[ServiceDefinition], peers: Iterable[str]
    ) -> None:
        super().__init__(region, services)
        self.peers = tuple(sorted(set(peers) - {region}))
        self._remote: dict[str, dict[str, ServiceDefinition]] = {p: {} for p in self.peers}
        self._retired: dict[str, dict[str, ServiceDefinition]] = {p: {} for p in self.peers}
        self._learnt: set[str] = set()
        self.generation = 0  # bumped whenever a peer's services change

    def learn(
        self, peer: str, services: Iterable[ServiceDefinition], *, answered: bool = True
    ) -> bool:
        """Replace what is known of ``peer``'s services; True when anything changed.

        ``answered`` is False for a catalogue read back from this region's cache
        (the peer has not answered in this run). A service the peer no longer
        lists stays routable (retired): exchanges already routed to it must still
        reach the peer, which refuses it as unknown; only listings drop it.
        """
        if peer not in self._remote:
            raise CatalogueError(f"region {peer} is not a peer of {self.region}")
        learnt = {}
        for service in services:
            if service.id.region != peer:
                raise CatalogueError(
                    f"the catalogue of {peer} names {service.id}, a service of another region"
                )
            learnt[str(service.id)] = service
        first = answered and peer not in self._learnt
        if answered:
            self._learnt.add(peer)
        if learnt == self._remote[peer]:
            return first
        retired = self._retired[peer]
        retired.update({k: v for k, v in self._remote[peer].items() if k not in learnt})
        for key in learnt:
            retired.pop(key, None)
        self._remote[peer] = learnt
        self.generation += 1
        return True

    def knows_peer(self, peer: str) -> bool:
        """True once ``peer``'s catalogue has been learnt (even an empty one counts)."""
        return peer in self._learnt

    def remote(self, peer: str | None = None) -> list[ServiceDefinition]:
        """The remote services known, of one peer or of all."""
        peers = [peer] if peer is not None else list(self.peers)
        return [s for p in peers for s in self._remote.get(p, {}).values()]

    def get(self, service: str) -> ServiceDefinition:
        if super().__contains__(service):
            return super().get(service)
        found = self._remote_definition(service)
        if found is None:
            known = [str(s.id) for s in self] + [str(s.id) for s in self.remote()]
            raise UnknownServiceError(service, sorted(known))
        return found

    def __contains__(self, service: object) -> bool:
        if super().__contains__(service):
            return True
        return isinstance(service, str) and self._remote_definition(service) is not None

    def _remote_definition(self, service: str) -> ServiceDefinition | None:
        region = service.split("/", 1)[0]
        found = self._remote.get(region, {}).get(service)
        return found if found is not None else self._retired.get(region, {}).get(service)

    def is_remote(self, service: ServiceDefinition) -> bool:
        """True for a service of a peer region."""
        return service.id.region != self.region

    def delivery_subject(self, service: ServiceDefinition) -> str:
        if not self.is_remote(service):
            return super().delivery_subject(service)
        sid = service.id
        return subjects.remote_delivery(self.region, sid.region, sid.department, sid.service)

    def peer_filter(self, peer: str) -> str:
        """The subject filter of the durable consumer that forwards exchanges to ``peer``."""
        return f"{subjects.remote_delivery_prefix(self.region, peer)}.>"
