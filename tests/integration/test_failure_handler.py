"""Never a bare 500: what escapes a route is answered, recorded and logged once by one handler."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator, Awaitable
from uuid import UUID

import httpx
import pytest
import pytest_asyncio
from fastapi import APIRouter, FastAPI
from structlog.testing import capture_logs

from hub.entrypoints.http.app import create_http_app
from hub.entrypoints.http.auth import Authenticator
from hub.settings import HubSettings
from simulations.traffic.mix import SOAP_HEADERS, hub_history_soap
from tests.integration.hub_fixtures import Region, auth_headers, running_region
from tests.waiting import wait_until_async
from translation.soap_envelope import parse_envelope, parse_fault

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(120)]

SS = "north/social-security/contribution-history"
QUERY = {"national_id": "19800101-1234", "period_start": "2000-01-01", "period_end": "2026-12-31"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def region(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Region]:
    # A lock held by another program is waited for 2 s, not the default 10, before the 503.
    settings = HubSettings(data=tmp_path_factory.mktemp("failures") / "hub", log_format="json",
                           store_lock_timeout_s=2)
    async with running_region(settings) as running:
        yield running


def _failing_app(region: Region) -> FastAPI:
    """The hub's own app, built by the production factory, with routes that fail on purpose."""
    failing = APIRouter()

    @failing.post("/broken")
    async def broken() -> None:
        raise RuntimeError("a bug the hub did not foresee")

    @failing.post("/broken/soap")
    async def broken_soap() -> None:
        raise KeyError("missing")

    @failing.post("/locked")
    async def locked() -> None:
        raise sqlite3.OperationalError("database is locked")

    gateway, credentials = region.hub.gateway, region.hub.credentials
    assert credentials is not None
    return create_http_app(gateway, max_payload_bytes=1024, region="north",
                           authenticator=Authenticator(credentials, gateway), routers=[failing])


async def _post(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as http:
        return await http.post(path, json=QUERY, headers={"X-Correlation-Id": "c-1"})


def _history(region: Region, exchange_id: str) -> list[str]:
    return [type(e).__name__ for e in region.hub.ledger.history(UUID(exchange_id))]


async def test_an_unexpected_exception_is_a_recorded_problem_logged_once(region: Region) -> None:
    """A bug in a route: 500 problem details with the exchange id, recorded, one traceback."""
    with capture_logs() as logs:
        response = await _post(_failing_app(region), "/broken")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "internal-error" and problem["status"] == 500
    assert problem["correlation_id"] == "c-1" and "RuntimeError" in problem["detail"]
    assert "a bug the hub" not in response.text  # the detail stays in the log
    assert _history(region, problem["exchange_id"]) == ["Received", "Rejected"]
    tracebacks = [e for e in logs if e.get("exc_info") is not None]
    assert len(tracebacks) == 1 and tracebacks[0]["code"] == "internal-error"


async def test_an_unexpected_exception_on_a_soap_endpoint_is_a_server_fault(
    region: Region,
) -> None:
    response = await _post(_failing_app(region), "/broken/soap")
    assert response.status_code == 500
    fault = parse_fault(parse_envelope(response.content).body)
    assert (fault.faultcode, fault.code) == ("Server", "internal-error")
    assert _history(region, response.headers["X-Exchange-Id"]) == ["Received", "Rejected"]


async def test_a_store_error_is_a_503_with_retry_after(region: Region) -> None:
    """A locked store is not the caller's fault nor a bug: 503, try again after Retry-After."""
    response = await _post(_failing_app(region), "/locked")
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json()["code"] == "store-unavailable"


async def test_a_really_locked_ledger_is_a_503_and_the_hub_recovers(region: Region) -> None:
    """Another process holds the SQLite ledger's write lock: the query is a 503 with
    Retry-After (not a bare 500), and once the lock is gone the hub answers again."""
    store = region.hub.store
    assert store.endswith(".sqlite3")
    headers = auth_headers(region.hub, "north/tax")  # issuing a token writes to the ledger too
    holder = sqlite3.connect(store, timeout=1, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        async with httpx.AsyncClient(timeout=60) as http:
            response = await http.post(f"{region.hub.http_url}/services/{SS}", json=QUERY,
                                       headers=headers)
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] and response.json()["code"] == "store-unavailable"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    async with httpx.AsyncClient(timeout=60) as http:
        await wait_until_async(  # bounded: the hub's own retries drain first
            lambda: _answered(http.post(f"{region.hub.http_url}/services/{SS}", json=QUERY,
                                        headers=headers)),
            timeout_s=10, interval_s=0.2, message="a query answered once the lock is gone")


async def test_a_locked_ledger_under_the_soap_ingress_is_a_503_fault(region: Region) -> None:
    """The SOAP ingress is served past FastAPI's routing (its hot path), yet still inside the
    failure handler: a store error during a SOAP query is a 503 SOAP Fault, not a bare 500,
    and the same query is answered once the lock is gone."""
    store = region.hub.store
    headers = {**SOAP_HEADERS, "SOAPAction": '"ContributionHistory"',
               **auth_headers(region.hub, "north/tax")}
    body = hub_history_soap("19800101-1234", dt.date(2000, 1, 1), dt.date(2026, 12, 31))
    url = f"{region.hub.http_url}/soap"
    holder = sqlite3.connect(store, timeout=1, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        async with httpx.AsyncClient(timeout=60) as http:
            response = await http.post(url, content=body, headers=headers)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503, response.text
    fault = parse_fault(parse_envelope(response.content).body)
    assert (fault.faultcode, fault.code) == ("Server", "store-unavailable")
    async with httpx.AsyncClient(timeout=60) as http:
        await wait_until_async(  # bounded: the hub's own retries drain first
            lambda: _answered(http.post(url, content=body, headers=headers)),
            timeout_s=10, interval_s=0.2, message="a SOAP call answered once the lock is gone")


async def _answered(request: Awaitable[httpx.Response]) -> httpx.Response | None:
    """The response if it is a 200 (the last one seen is named if none ever is)."""
    response = await request
    return response if response.status_code == 200 else None
