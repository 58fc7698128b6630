"""Federation: what a region does with its peers.

- :mod:`.app` — the federation application: records, attestations,
  recognitions and agreements as events;
- :mod:`.recognition_link` — issuing to and recognising from peers over the
  statement transport (:mod:`hub.adapters.peers.transport`);
- :mod:`.directory`, :mod:`.catalogue`, :mod:`.forwarding` — peers' services,
  learnt from their catalogues, and exchanges forwarded to them;
- :mod:`.gossip` — checkpoint gossip, its judgement, and audit alarms;
- :mod:`.reconciliation` — what two regions believe happened, compared and repaired.
"""

from hub.adapters.store.federation_store import federation_environment
from hub.service_layer.federation.app import FederationApp, IssuedRecord

__all__ = ["FederationApp", "IssuedRecord", "federation_environment"]
