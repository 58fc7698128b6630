"""In-memory read models for the hub's hot decisions, following the ledger.

- :mod:`.tail` reads the notification log onward from a position kept in memory;
- :mod:`.credentials`, :mod:`.access`, :mod:`.consents`: one model each, no personal data;
- :mod:`.models` holds them together per ledger, keeps them current (the
  revocation bounds are stated there) and gives the follower that runs in the hub.
"""

from hub.adapters.readmodels.access import RightEntry, RightsModel
from hub.adapters.readmodels.consents import ConsentEntry, ConsentModel
from hub.adapters.readmodels.credentials import CredentialEntry, CredentialModel
from hub.adapters.readmodels.models import POLL_S, ReadModels, models_of, refresh
from hub.adapters.readmodels.tail import LedgerTail

__all__ = [
    "POLL_S",
    "ConsentEntry",
    "ConsentModel",
    "CredentialEntry",
    "CredentialModel",
    "LedgerTail",
    "ReadModels",
    "RightEntry",
    "RightsModel",
    "models_of",
    "refresh",
]
