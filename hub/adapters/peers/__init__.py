"""Region links (the adapter side): regions as separate hubs joined by NATS leaf nodes.

A region keeps working when cut off from the others.

Each region runs its own hub, event store, nats-server (its own JetStream
domain, = the region code) and keys. Regions are joined by NATS itself: the
first region's server accepts leaf-node connections (``HUB_LEAF_PORT``), the
others dial it (``HUB_LEAF_REMOTES``) — a **star** (:mod:`.topology`). Trade-off:
a star is the simplest loop-free leaf topology (leaf nodes do not re-route
around a failed server), but the hub region is a single point of partition:
while its server is down the spokes cannot reach each other either (each keeps
working on its own). A mesh of leaf links would remove that, at the price of an
account design that keeps messages from looping (per-region accounts with
explicit imports/exports), which is also where per-region credentials belong.

This package is what talks NATS to peers, and imports nothing above the
adapters: the links' connection (:mod:`.connection`), subjects and headers
(:mod:`.subjects`), wire messages (:mod:`.messages`), the provider adapter for
a peer's service (:mod:`.remote_adapter`), the stream of signed statements
between regions (:mod:`.transport`) and the cache of peers' catalogues
(:mod:`.catalogue_cache`). What a region does with them — learning catalogues,
forwarding exchanges, checkpoint gossip and its alarms, recognising records —
is :mod:`hub.service_layer.federation`; :class:`hub.bootstrap.peers.RegionLinks`
composes it, and ``run_hub`` starts it when ``HUB_PEERS`` is set.
"""

from hub.adapters.peers.errors import (
    CatalogueError,
    LinkError,
    PeerAnswerInvalid,
    PeerUnreachable,
    RemoteClientError,
    RemoteRefusal,
)
from hub.adapters.peers.remote_adapter import RemoteHubAdapter
from hub.adapters.peers.topology import REGION_NAMES, star_settings

__all__ = [
    "REGION_NAMES",
    "CatalogueError",
    "LinkError",
    "PeerAnswerInvalid",
    "PeerUnreachable",
    "RemoteClientError",
    "RemoteHubAdapter",
    "RemoteRefusal",
    "star_settings",
]
