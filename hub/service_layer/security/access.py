"""Access rights, kept as ``AccessRight`` aggregates in the ledger's event store.

The ledger is the one store: every grant and revocation is an event there,
hence a leaf of the audit log, and any view of the rights can be rebuilt by
replay. This service only adds names to the ledger's ``save`` and
``repository.get``; the ledger itself knows nothing of rights. Decisions read
the rights read model (:meth:`AccessRights.current`, :mod:`hub.adapters.readmodels`),
which grant and revoke bring up to date before they return.

A client is named as ``region/department``; a bare ``department`` means one of
this region (:meth:`AccessRights.client_id`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING

from eventsourcing.application import AggregateNotFoundError

from contracts.identity import DepartmentId, ServiceId
from hub.adapters.readmodels import ReadModels, RightEntry, models_of, refresh
from hub.domain.access import AccessRight, access_right_id
from hub.domain.originator import originator_uuid
from hub.service_layer.security.refusals import AccessError

if TYPE_CHECKING:
    from hub.adapters.store.ledger import Ledger


class AccessRights:
    """Grants, revokes and looks up access rights of client departments on services."""

    def __init__(self, ledger: Ledger, region: str) -> None:
        self._ledger = ledger
        self.region = region

    def client_id(self, client: str) -> str:
        """``region/department`` for a client named either way (bare: this region's)."""
        text = client.strip()
        return str(DepartmentId.parse(text if "/" in text else f"{self.region}/{text}"))

    def grant(
        self, client: str, service: str, purposes: Iterable[str], *, by: str = "operator"
    ) -> AccessRight:
        """Let ``client`` query ``service`` for ``purposes`` (replaces an earlier grant)."""
        client, service = self.client_id(client), str(ServiceId.parse(service.strip()))
        wanted = sorted({p.strip() for p in purposes if p.strip()})
        right = self.get(client, service) or AccessRight(client, service)
        right.grant(client, service, wanted, by)
        self._ledger.save(right)
        refresh(self._ledger)
        return right

    def revoke(
        self, client: str, service: str, *, by: str = "operator", reason: str = ""
    ) -> AccessRight:
        """Withdraw the right; queries already queued are refused at delivery."""
        client, service = self.client_id(client), str(ServiceId.parse(service.strip()))
        right = self.get(client, service)
        if right is None or not right.active:
            raise AccessError(
                f"{client} holds no active right on {service}: nothing to revoke", field="client"
            )
        right.revoke(by, reason or "revoked by operator")
        self._ledger.save(right)
        refresh(self._ledger)  # the next decision in this process refuses
        return right

    def current(self, client: str, service: str) -> RightEntry | None:
        """The right of the pair from the read model (no store read): what decisions use."""
        return self._models.rights.get(client, service)

    @functools.cached_property
    def _models(self) -> ReadModels:
        return models_of(self._ledger)

    def get(self, client: str, service: str) -> AccessRight | None:
        """The right of the pair as recorded now, or None if never granted."""
        try:
            right: object = self._ledger.repository.get(access_right_id(client, service))
        except AggregateNotFoundError:
            return None
        return right if isinstance(right, AccessRight) else None

    def all(self, batch: int = 500) -> list[AccessRight]:
        """Every right ever granted (active or revoked), sorted by client then service."""
        rights = []
        start = 1
        while page := self._ledger.notifications(start, batch, (AccessRight.Created.TOPIC,)):
            for notification in page:
                right: object = self._ledger.repository.get(
                    originator_uuid(notification.originator_id)
                )
                if isinstance(right, AccessRight):
                    rights.append(right)
            start = page[-1].id + 1
        return sorted(rights, key=lambda r: (r.client, r.service))
