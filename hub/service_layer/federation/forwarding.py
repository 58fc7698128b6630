"""Forwarding exchanges to peer regions: the handler of each peer's durable consumer.

Exchanges for a peer's service wait in the region's own stream, one durable
consumer per peer region (:meth:`FederatedDirectory.peer_filter
<hub.service_layer.federation.directory.FederatedDirectory.peer_filter>`), and
the ordinary delivery worker settles them through the remote adapter
(:class:`hub.adapters.peers.remote_adapter.RemoteHubAdapter`). Two wrappers
around the worker's handler make that work:

- :func:`for_remote_calls` tells the remote adapter which exchange it calls for,
  on behalf of which client, and whether the answer is to come attested (the
  worker's port has no place for them);
- :func:`waiting_for_catalogue` holds back a delivery whose service the
  directory does not know (yet, or any more) until the peer's catalogue is
  learnt again, instead of failing it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from uuid import UUID

import structlog

from hub.adapters.bus.port import Delivery, Handler
from hub.adapters.peers.remote_adapter import calling_for
from hub.adapters.store.ledger import Ledger
from hub.service_layer.exchanges.messages import DeliveryRequest
from hub.service_layer.federation.answers import ATTESTED_INGRESS
from hub.service_layer.federation.directory import FederatedDirectory

log = structlog.get_logger("hub.service_layer.federation.forwarding")


def for_remote_calls(handler: Handler, ledger: Ledger) -> Handler:
    """Wrap the delivery worker's handler so a remote adapter knows the exchange and client."""

    async def handle(delivery: Delivery) -> None:
        request = DeliveryRequest.model_validate_json(delivery.data)
        exchange = await asyncio.to_thread(ledger.get, UUID(request.exchange_id))
        authorisation = getattr(exchange, "authorisation", None) or {}
        with calling_for(request.exchange_id, exchange.client, authorisation.get("purpose", ""),
                         attest=exchange.ingress == ATTESTED_INGRESS):
            await handler(delivery)

    return handle


def waiting_for_catalogue(
    handler: Handler,
    directory: FederatedDirectory,
    relearn: Callable[[str], Awaitable[bool]],
    *,
    backoff_s: float,
) -> Handler:
    """Deliveries to a peer whose service is not (or no longer) known wait for its catalogue.

    ``relearn(peer)`` asks the peer for its catalogue again; while the service is
    still unknown the delivery is retried later (``backoff_s``, doubling per attempt).
    """

    async def forward(delivery: Delivery) -> None:
        request = DeliveryRequest.model_validate_json(delivery.data)
        peer = request.service.split("/", 1)[0]
        if request.service not in directory:
            await relearn(peer)
        if request.service not in directory:
            log.warning("no known service for a forwarded exchange; retrying later",
                        service=request.service, exchange_id=request.exchange_id,
                        attempt=delivery.attempt)
            await delivery.retry(backoff_s * 2 ** delivery.attempt)
            return
        await handler(delivery)

    return forward
