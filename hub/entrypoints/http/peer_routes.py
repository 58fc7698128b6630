"""HTTP routes for the services of peer regions: ``/peers`` and one SOAP endpoint per peer.

JSON clients need nothing new: ``POST /services/<peer>/<department>/<service>``
reaches the JSON ingress's catch-all route, and the gateway finds the remote
service in the federated directory. SOAP clients do: the hub's SOAP ingress
picks the service from the body element, and a peer's service has the same
contract (so the same element) as the local one — ``south/tax/tax-clearance``
and ``north/tax/tax-clearance`` both take ``TaxClearanceQuery``. So each peer
gets its own endpoint, ``/peers/<peer>/soap`` (WSDL at ``?wsdl``), served by the
same SOAP ingress over a directory of that peer's services only: the endpoint
names the region, the body names the service, as X-Road's service header would.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import Response

from hub.entrypoints.http.soap_ingress import SoapIngress
from hub.service_layer.exchanges.gateway import Gateway
from hub.service_layer.exchanges.routing import ServiceDefinition, ServiceDirectory
from hub.service_layer.federation.directory import FederatedDirectory


class PeerServices(ServiceDirectory):
    """One peer's services as a directory of their own (for the per-peer SOAP endpoint)."""

    def __init__(self, directory: FederatedDirectory, peer: str) -> None:
        super().__init__(peer, directory.remote(peer))
        self._federated = directory
        # The exchange is this region's: its logs and WSDL carry this region's code.
        self.region = directory.region

    def delivery_subject(self, service: ServiceDefinition) -> str:
        return self._federated.delivery_subject(service)


def peer_router(
    gateway: Gateway,
    directory: FederatedDirectory,
    *,
    max_payload_bytes: int,
    xroad_clients: Mapping[str, str] | None = None,
) -> APIRouter:
    """``GET /peers``, and ``GET|POST /peers/<peer>/soap`` for each peer region."""
    router = APIRouter(prefix="/peers", tags=["peers"])
    built: dict[str, tuple[int, SoapIngress]] = {}

    def ingress(peer: str) -> SoapIngress:
        if peer not in directory.peers:
            raise HTTPException(404, f"{peer!r} is not a peer region of {directory.region}")
        if not directory.remote(peer):
            raise HTTPException(
                503, f"no service of {peer} known yet: its catalogue has not been learnt"
            )
        cached = built.get(peer)
        if cached is not None and cached[0] == directory.generation:
            return cached[1]
        # The same gateway (ledger, inbox, relay), routing by this peer's services only.
        scoped = copy.copy(gateway)
        scoped.directory = PeerServices(directory, peer)
        soap = SoapIngress(scoped, max_payload_bytes=max_payload_bytes,
                           xroad_clients=xroad_clients)
        built[peer] = (directory.generation, soap)
        return soap

    @router.get("", summary="Peer regions and the services learnt from their catalogues")
    async def peers() -> list[dict[str, object]]:
        return [
            {
                "region": peer,
                "catalogue_learnt": directory.knows_peer(peer),
                "soap": f"/peers/{peer}/soap?wsdl",
                "services": [str(s.id) for s in directory.remote(peer)],
            }
            for peer in directory.peers
        ]

    @router.get("/{peer}/soap", summary="WSDL of a peer region's services, served by this hub")
    async def wsdl(peer: str, request: Request) -> Response:
        location = str(request.url.replace(query=""))
        return Response(ingress(peer).wsdl(location), media_type="text/xml; charset=utf-8")

    @router.post("/{peer}/soap", summary="SOAP 1.1 endpoint for a peer region's services")
    async def endpoint(peer: str, request: Request) -> Response:
        return await ingress(peer).handle(request)

    return router
