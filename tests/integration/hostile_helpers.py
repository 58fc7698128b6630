"""Shared by the hostile-input tests: one region, and what every refusal must look like."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from hypothesis import HealthCheck, settings

from hub.settings import HubSettings
from tests.integration.hub_fixtures import Region, auth_headers, running_region
from translation.soap_envelope import parse_envelope, parse_fault

SS = "north/social-security/contribution-history"
QUERY = {"national_id": "19800101-1234", "period_start": "2000-01-01", "period_end": "2026-12-31"}
RECORD = "social-security.contribution-history@1.0"
CAP = 1024 * 1024
DEEP = 100_000
FEW = settings(max_examples=8, deadline=None, derandomize=True,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
JSON_CT = {"Content-Type": "application/json"}


@contextlib.asynccontextmanager
async def hostile_region(data: Path) -> AsyncIterator[Region]:
    """The demo region with a 1 MiB ingress cap, NATS users reloaded quickly."""
    settings_ = HubSettings(data=data / "hub", log_format="json", max_payload_bytes=CAP,
                            nats_users_refresh_s=0.1)
    async with running_region(settings_) as running:
        yield running


def recorded(region: Region, exchange_id: str | None) -> None:
    """The refusal is in the ledger as Received + Rejected."""
    assert exchange_id, "the refusal carries no exchange id"
    events = [type(e).__name__ for e in region.hub.ledger.history(UUID(exchange_id))]
    assert events == ["Received", "Rejected"], events


def problem(region: Region, response: httpx.Response, *codes: str) -> dict[str, Any]:
    """A 4xx problem details document (RFC 9457 members, code, issues), recorded."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert {"type", "title", "status", "detail", "code", "exchange_id", "issues"} <= set(problem)
    assert problem["status"] == response.status_code
    assert all({"path", "reason", "code"} <= set(i) for i in problem["issues"])
    if codes:
        assert problem["code"] in codes, problem
    recorded(region, problem["exchange_id"])
    return problem


def fault(region: Region, response: httpx.Response, *codes: str) -> str:
    """A Client SOAP Fault (HTTP 4xx, or 500 as WS-I asks of Faults), recorded."""
    assert response.status_code in (400, 401, 403, 413, 415, 500), response.status_code
    fault = parse_fault(parse_envelope(response.content).body)
    assert fault.faultcode == "Client", (fault.code, fault.faultstring)
    if codes:
        assert fault.code in codes, fault.code
    recorded(region, response.headers.get("X-Exchange-Id"))
    return str(fault.code)


async def still_answers(region: Region, http: httpx.AsyncClient) -> None:
    """A good request right after the hostile one is answered."""
    response = await http.post(f"{region.hub.http_url}/services/{SS}", json=QUERY,
                               headers=auth_headers(region.hub, "north/tax"))
    assert response.status_code == 200, response.text


async def post_json(region: Region, http: httpx.AsyncClient, body: bytes,
                **headers: str) -> httpx.Response:
    return await http.post(f"{region.hub.http_url}/services/{SS}", content=body,
                           headers=auth_headers(region.hub, "north/tax", **{**JSON_CT, **headers}))


async def post_record(region: Region, http: httpx.AsyncClient, body: bytes, contract: str = RECORD,
                  content_type: str = "application/json") -> httpx.Response:
    return await http.post(
        f"{region.hub.http_url}/records/{contract}", content=body,
        headers=auth_headers(region.hub, "north/social-security", **{"Content-Type": content_type}))


