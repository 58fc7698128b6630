"""The ledger's stored events, read without its keyring.

For readers that need only what the ledger stores in clear (states, digests,
times), such as reconciliation: it opens no key, so anyone allowed to read a
region's store can run it, and personal fields stay the sealed envelopes they
were stored as. It never writes; recording goes through
:class:`hub.adapters.store.ledger.Ledger`, which always seals.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import Application

from hub.adapters.store.ledger import Ledger


class SealedLedgerReader(Application[UUID]):
    """The ledger's event store with the library's plain mapper: personal fields stay sealed."""

    name = Ledger.name
