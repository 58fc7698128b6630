"""HTTP identity against the real server: each bad credential is refused 401/403 and recorded."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from uuid import UUID

import httpx
import pytest
import pytest_asyncio

from hub.domain.credential import CredentialKind
from hub.service_layer.security.credentials import CredentialService
from hub.settings import HubSettings
from tests.integration.hub_fixtures import PURPOSE, Region, department_token, running_region

pytestmark = pytest.mark.asyncio(loop_scope="module")

SS = "north/social-security/contribution-history"
QUERY = {"national_id": "19800101-1234", "period_start": "2000-01-01", "period_end": "2026-12-31"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def region(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Region]:
    settings = HubSettings(data=tmp_path_factory.mktemp("identity") / "hub", log_format="json")
    async with running_region(settings) as running:
        yield running


async def _ask(region: Region, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(f"{region.hub.http_url}/services/{SS}",
                               content=json.dumps(QUERY),
                               headers={"X-Hub-Purpose": PURPOSE, **headers})


def _recorded(region: Region, response: httpx.Response) -> tuple[list[str], str]:
    history = region.hub.ledger.history(UUID(response.json()["exchange_id"]))
    return [type(e).__name__ for e in history], history[-1].code


def _expired_token(region: Region) -> str:
    """A token issued by a clock a day behind: expired now."""
    past = CredentialService(region.hub.ledger, "north",
                             clock=lambda: dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    return past.issue("north/tax", CredentialKind.DEPARTMENT, dt.timedelta(hours=1)).token


async def test_each_bad_credential_is_refused_with_its_code_and_recorded(region: Region) -> None:
    """Wrong, unknown, malformed and expired tokens: 401, Bearer challenge, recorded, no token."""
    good = department_token(region.hub, "north/tax")
    cases = {
        "wrong-credential": good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        "unknown-credential": "ihk_" + "0" * 32 + "_" + good.split("_", 2)[2],
        "malformed-credentials": "not-a-token",
        "expired-credential": _expired_token(region),
    }
    for code, token in cases.items():
        response = await _ask(region, Authorization=f"Bearer {token}")
        assert response.status_code == 401, (code, response.text)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["code"] == code
        assert response.json()["issues"][0]["path"] == "header:Authorization"
        assert token not in response.text
        assert _recorded(region, response) == (["Received", "Rejected"], code)


async def test_another_departments_name_is_a_403(region: Region) -> None:
    """A tax token with X-Hub-Client north/social-security is refused, naming the header."""
    token = department_token(region.hub, "north/tax")
    response = await _ask(region, Authorization=f"Bearer {token}",
                          **{"X-Hub-Client": "north/social-security"})
    assert response.status_code == 403
    assert response.json()["code"] == "client-mismatch"
    assert response.json()["issues"][0]["path"] == "header:X-Hub-Client"
    assert _recorded(region, response)[1] == "client-mismatch"


async def test_an_operator_token_cannot_ask_a_service(region: Region) -> None:
    """Exchanges are asked by departments: an operator token gets 403."""
    assert region.hub.credentials is not None
    token = region.hub.credentials.issue("operator:alice", CredentialKind.OPERATOR,
                                         dt.timedelta(hours=1)).token
    response = await _ask(region, Authorization=f"Bearer {token}")
    assert (response.status_code, response.json()["code"]) == (403, "department-required")


async def test_revocation_and_rotation_apply_to_the_very_next_request(region: Region) -> None:
    """The same token works, then is refused right after a revocation (no cache)."""
    credentials = region.hub.credentials
    assert credentials is not None
    issued = credentials.issue("north/tax", CredentialKind.DEPARTMENT, dt.timedelta(hours=1))
    assert (await _ask(region, Authorization=f"Bearer {issued.token}")).status_code == 200
    rotated = credentials.rotate(issued.credential_id, dt.timedelta(hours=1))
    old = await _ask(region, Authorization=f"Bearer {issued.token}")
    assert (old.status_code, old.json()["code"]) == (401, "wrong-credential")
    assert (await _ask(region, Authorization=f"Bearer {rotated.token}")).status_code == 200
    credentials.revoke(issued.credential_id, "mid-flight")
    refused = await _ask(region, Authorization=f"Bearer {rotated.token}")
    assert (refused.status_code, refused.json()["code"]) == (401, "revoked-credential")
    exchange = region.hub.ledger.get(UUID(refused.json()["exchange_id"]))
    assert exchange.client == "unknown"  # an unproven caller is never recorded as a department


async def test_open_endpoints_need_no_token(region: Region) -> None:
    """/health, /openapi.json, /docs and the WSDL stay open."""
    async with httpx.AsyncClient(timeout=30) as http:
        for path in ("/health", "/openapi.json", "/docs", "/soap?wsdl", "/metrics"):
            response = await http.get(f"{region.hub.http_url}{path}")
            assert response.status_code == 200, path
