"""Region links: regions as separate hubs joined by NATS leaf nodes.

A region keeps working when cut off from the others.

Each region runs its own hub, event store, nats-server (its own JetStream
domain, = the region code) and keys. Regions are joined by NATS itself: the
first region's server accepts leaf-node connections (``HUB_LEAF_PORT``), the
others dial it (``HUB_LEAF_REMOTES``) — a **star**. Trade-off: a star is the
simplest loop-free leaf topology (leaf nodes do not re-route around a failed
server), but the hub region is a single point of partition: while its server
is down the spokes cannot reach each other either (each keeps working on its
own). A mesh of leaf links would remove that, at the price of an account
design that keeps messages from looping (per-region accounts with explicit
imports/exports), which is also where per-region credentials belong.

Over those links (subjects in :mod:`hub.adapters.peers.subjects`):

- **cross-region queries** (:mod:`.catalogue`, :mod:`.directory`,
  :mod:`.remote_adapter`, :mod:`.ingress`, :mod:`.http_routes`): a department of
  region A queries ``B/department/service`` through both hubs; each ledger records
  its side under the same correlation id;
- **checkpoint gossip** (:mod:`.gossip`, :mod:`.peer_store`, :mod:`.judgement`,
  :mod:`.alarms`): regions exchange signed audit checkpoints, check each peer's
  new one against the last they hold, and raise ``AuditAlarmRaised`` when a
  peer's history was rewritten, forked or forged.

:class:`RegionLinks` composes them; ``run_hub`` starts it when ``HUB_PEERS`` is set.
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
