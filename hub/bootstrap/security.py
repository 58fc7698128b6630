"""Building the access policy over a ledger (used by bootstrap and the CLI)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.service_layer.security.access import AccessRights
from hub.service_layer.security.consents import Clock, ConsentBook, utc_now
from hub.service_layer.security.decision import AccessPolicy

if TYPE_CHECKING:
    from hub.adapters.store.ledger import Ledger


def access_policy(ledger: Ledger, region: str, *, clock: Clock = utc_now) -> AccessPolicy:
    """Rights and consents kept in ``ledger``, for ``region``'s services."""
    return AccessPolicy(AccessRights(ledger, region), ConsentBook(ledger, clock=clock))
