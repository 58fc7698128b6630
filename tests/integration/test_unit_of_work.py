"""The query path's work, counted through the production wiring (a running region):
each step loads nothing it already has and writes once; Completed follows the reply."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import httpx

from hub.domain.exchange import Exchange
from hub.entrypoints.http.app import create_http_app
from hub.entrypoints.http.auth import Authenticator
from hub.settings import HubSettings
from hub.work import WORK, WorkCounts
from tests.integration.hub_fixtures import PURPOSE, Region, auth_headers, running_region
from tests.waiting import wait_until_async

SS = "north/social-security/contribution-history"
QUERY = {"national_id": "19800101-1234", "period_start": "2000-01-01", "period_end": "2026-12-31"}


def _headers(region: Region) -> dict[str, str]:
    return auth_headers(region.hub, "north/tax", **{"Content-Type": "application/json",
                                                    "X-Hub-Purpose": PURPOSE})


async def _ask(region: Region, headers: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(f"{region.hub.http_url}/services/{SS}",
                                   content=json.dumps(QUERY).encode(),
                                   headers=headers or _headers(region))
    assert response.status_code == 200, response.text
    return response


async def _events_until_completed(region: Region, exchange_id: str) -> list[str]:
    """The exchange's event names once Completed is recorded (bounded wait; reads the
    events, never rebuilds the exchange)."""

    def names_once_completed() -> list[str]:
        names = [type(e).__name__ for e in region.hub.ledger.history(UUID(exchange_id))]
        return names if names[-1] == "Completed" else []

    return await wait_until_async(names_once_completed, timeout_s=5, interval_s=0.01,
                                  message=f"{exchange_id} completed")


def _delta(before: WorkCounts, after: WorkCounts) -> dict[str, int]:
    return {k: v - before.as_dict()[k] for k, v in after.as_dict().items()}


async def test_a_warm_query_rebuilds_no_exchange(hub_settings: HubSettings) -> None:
    """Accept, deliver (inline, in the accepting process) and complete record the
    exchange without loading it once, and the steps write at most four times (accept,
    deliver, complete, and at most one relay position save)."""
    async with running_region(hub_settings) as region:
        warm = await _ask(region)  # connections, keys and credentials are made here
        await _events_until_completed(region, warm.headers["X-Exchange-Id"])
        headers = _headers(region)  # issuing the client's credential is a write of its own
        before = WORK.snapshot()
        response = await _ask(region, headers)
        names = await _events_until_completed(region, response.headers["X-Exchange-Id"])
        work = _delta(before, WORK.snapshot())
    assert names == ["Received", "Translated", "Authorised", "Routed", "Delivered",
                     "Responded", "Disclosed", "Completed"]
    assert work["aggregate_loads"] == 0, work
    assert work["write_transactions"] <= 4, work


async def test_routed_carries_what_the_delivery_needs(hub_settings: HubSettings) -> None:
    """The Routed event repeats service, correlation id, client, reply subject, contract,
    subject reference and decision: the relay's delivery request is built from it alone."""
    async with running_region(hub_settings) as region:
        response = await _ask(region)
        events = region.hub.ledger.history(UUID(response.headers["X-Exchange-Id"]))
    routed = next(e for e in events if isinstance(e, Exchange.Routed))
    received = events[0]
    assert isinstance(received, Exchange.Received)
    assert (routed.service, routed.correlation_id, routed.client, routed.reply_to) == (
        SS, received.correlation_id, "north/tax", received.reply_to)
    assert routed.contract == "social-security.contribution-history-query@1.0"
    assert routed.data_subject.startswith("ds-")
    assert routed.authorisation is not None and routed.authorisation["purpose"] == PURPOSE


async def test_completed_is_recorded_after_the_reply_is_written(
    hub_settings: HubSettings,
) -> None:
    """When the last byte of the answer goes to the client the exchange is not yet
    Completed; it is once the reply was written."""
    async with running_region(hub_settings) as region:
        hub = region.hub
        assert hub.credentials is not None
        app = create_http_app(hub.gateway, max_payload_bytes=hub.settings.max_payload_bytes,
                              region="north", authenticator=Authenticator(hub.credentials,
                                                                          hub.gateway))
        sent: list[tuple[str, list[str]]] = []
        exchange: dict[str, str] = {}

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": json.dumps(QUERY).encode(),
                    "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = {k.decode().lower(): v.decode() for k, v in message["headers"]}
                exchange["id"] = headers["x-exchange-id"]
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                history = hub.ledger.history(UUID(exchange["id"]))
                sent.append(("body", [type(e).__name__ for e in history]))

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": "POST", "scheme": "http", "path": f"/services/{SS}",
                 "raw_path": f"/services/{SS}".encode(), "root_path": "", "query_string": b"",
                 "headers": [(k.lower().encode(), v.encode())
                             for k, v in _headers(region).items()],
                 "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
        await app(scope, receive, send)
        after = await _events_until_completed(region, exchange["id"])
    assert sent and sent[0][1][-1] == "Disclosed", sent  # answered, not yet completed
    assert after[-1] == "Completed"
