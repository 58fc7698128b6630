"""How a load or benchmark client is made known to a hub: the one place to change.

Every load generator and benchmark asks :func:`client_headers` for the HTTP
headers of each client department before it builds its requests. As an
operator would with ``interop-hub credentials issue`` and ``access grant``, it
issues the client's token and grants it ``services`` for the demo's case-handling
purpose, in the region's store (the hub reads both on every request), and
returns ``Authorization: Bearer <token>``, the client header and the purpose.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from hub.bootstrap.privacy import build_ledger
from hub.domain.credential import CredentialKind
from hub.entrypoints.http.json_ingress import CLIENT_HEADER
from hub.service_layer.security.access import AccessRights
from hub.service_layer.security.credentials import CredentialService
from hub.service_layer.security.decision import PURPOSE_HEADER
from hub.settings import HubSettings
from simulations.departments import CASE_PURPOSE

TOKEN_TTL = dt.timedelta(hours=6)


def client_headers(settings: HubSettings, client: str, services: Sequence[str]) -> dict[str, str]:
    """The headers with which ``client`` (region/department) calls ``services`` on the hub
    whose data folder (and store) ``settings`` name."""
    ledger = build_ledger(settings)
    try:
        rights = AccessRights(ledger, settings.region)
        for service in services:
            rights.grant(client, service, (CASE_PURPOSE,), by="load-generator")
        issued = CredentialService(ledger, settings.region).issue(
            client, CredentialKind.DEPARTMENT, TOKEN_TTL)
    finally:
        ledger.close()
    return {CLIENT_HEADER: client, "Authorization": f"Bearer {issued.token}",
            PURPOSE_HEADER: CASE_PURPOSE}
