"""The demo's departments get their API tokens the way an operator's CLI issues them.

``interop-hub credentials issue`` and the demo both call
:meth:`hub.service_layer.security.credentials.CredentialService.issue`; the tokens live only
in memory here, for the scripted clients to present.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable

from hub.domain.credential import CredentialKind
from hub.entrypoints.serve import Hub

DEMO_TTL = dt.timedelta(hours=12)


async def issue_demo_tokens(hub: Hub, departments: Iterable[str]) -> dict[str, str]:
    """A fresh token per ``region/department``, issued on the running hub's ledger."""
    if hub.credentials is None:
        raise RuntimeError("the hub runs without credentials")
    service = hub.credentials
    tokens = {}
    for department in departments:
        issued = await asyncio.to_thread(
            service.issue, department, CredentialKind.DEPARTMENT, DEMO_TTL)
        tokens[department] = issued.token
    return tokens


def bearer(tokens: dict[str, str], department: str) -> dict[str, str]:
    """The Authorization header of ``department`` (none if it has no token: refused)."""
    token = tokens.get(department)
    return {"Authorization": f"Bearer {token}"} if token else {}
