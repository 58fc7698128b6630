"""require_department / require_operator: FastAPI dependencies other routers reuse."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated
from uuid import UUID

import httpx
import pytest
from fastapi import APIRouter, Depends

from contracts import default_registry
from hub.adapters.store.ledger import Ledger
from hub.bootstrap.privacy import build_ledger
from hub.bootstrap.security import access_policy
from hub.domain.credential import CredentialKind
from hub.entrypoints.http.app import create_http_app
from hub.entrypoints.http.auth import Authenticator, require_department, require_operator
from hub.service_layer.exchanges.gateway import Gateway
from hub.service_layer.exchanges.routing import ServiceDirectory
from hub.service_layer.security.credentials import CredentialService, Principal
from hub.settings import HubSettings

HOUR = dt.timedelta(hours=1)


class NoReplies:
    """An Inbox (hub.adapters.bus.port) that never gets a reply: these routes never query."""

    prefix = "_test.reply"

    def expect(self, token: str) -> asyncio.Future[bytes]:
        return asyncio.get_running_loop().create_future()

    def forget(self, token: str) -> None:
        return None


class NoProviders:
    """The gateway's deliverer (hub.service_layer.exchanges.gateway.InlineDeliverer) of a
    region offering nothing: these routes never query."""

    def delivers_inline(self, service: str, decision: object) -> bool:
        return False

    async def deliver_inline(self, request: object, version: int, document: object) -> None:
        raise AssertionError("no query reaches a provider here")


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, CredentialService, Ledger]]:
    ledger = build_ledger(HubSettings(data=tmp_path))
    credentials = CredentialService(ledger, "north")
    gateway = Gateway(ledger, ServiceDirectory("north", []), default_registry(), NoReplies(),
                      lambda: None, reply_timeout_s=1, policy=access_policy(ledger, "north"),
                      deliverer=NoProviders())  # type: ignore[arg-type]
    router = APIRouter()

    @router.get("/mine")
    async def mine(department: Annotated[str, Depends(require_department)]) -> dict[str, str]:
        return {"department": department}

    @router.get("/operators-only")
    async def operators(who: Annotated[Principal, Depends(require_operator)]) -> dict[str, str]:
        return {"operator": who.name}

    app = create_http_app(gateway, max_payload_bytes=1000, region="north",
                          authenticator=Authenticator(credentials, gateway), routers=[router])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://hub") as http:
        yield http, credentials, ledger
    ledger.close()


async def test_require_department(hub: tuple[httpx.AsyncClient, CredentialService, Ledger]) -> None:
    """A department token passes; none is 401 with a Bearer challenge, recorded."""
    http, credentials, ledger = hub
    token = credentials.issue("north/tax", CredentialKind.DEPARTMENT, HOUR).token
    ok = await http.get("/mine", headers={"Authorization": f"Bearer {token}"})
    assert ok.json() == {"department": "north/tax"}
    refused = await http.get("/mine")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    history = ledger.history(UUID(refused.json()["exchange_id"]))
    assert [type(e).__name__ for e in history] == ["Received", "Rejected"]
    assert history[0].service == "/mine"


async def test_require_operator(hub: tuple[httpx.AsyncClient, CredentialService, Ledger]) -> None:
    """An operator token passes; a department token is 403 operator-required."""
    http, credentials, _ = hub
    operator = credentials.issue("operator:alice", CredentialKind.OPERATOR, HOUR).token
    department = credentials.issue("north/tax", CredentialKind.DEPARTMENT, HOUR).token
    ok = await http.get("/operators-only", headers={"Authorization": f"Bearer {operator}"})
    assert ok.json() == {"operator": "operator:alice"}
    refused = await http.get("/operators-only", headers={"Authorization": f"Bearer {department}"})
    assert (refused.status_code, refused.json()["code"]) == (403, "operator-required")
