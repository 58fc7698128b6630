"""One region end to end: real nats-server, real HTTP servers, zeep, SQLite."""

from __future__ import annotations

import asyncio
import json
from uuid import UUID

import httpx
import pytest
import requests
import zeep
import zeep.exceptions
from zeep.transports import Transport

from hub.domain.exchange import Status
from hub.entrypoints.serve import Hub
from hub.settings import HubSettings
from simulations.scenario import HARDENED_ZEEP
from tests.integration.hub_fixtures import auth_headers, completed, running_region
from tests.waiting import wait_until_async

SS = "north/social-security/contribution-history"
TAX = "north/tax/tax-clearance"
QUERY = {"national_id": "19800101-1234", "period_start": "2000-01-01", "period_end": "2026-12-31"}


def _events(hub, exchange_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [type(e).__name__ for e in hub.ledger.history(UUID(exchange_id))]


async def _post(
    hub: Hub, url: str, body: bytes, client: str = "north/tax", **headers: str
) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(
            url,
            content=body,
            headers=auth_headers(hub, client, **{"Content-Type": "application/json", **headers}),
        )


async def test_json_client_queries_the_soap_bureau(hub_settings: HubSettings) -> None:
    """A JSON query reaches the SOAP bureau via JetStream and comes back as the contract."""
    async with running_region(hub_settings) as region:
        hub = region.hub
        response = await _post(
            hub, f"{hub.http_url}/services/{SS}",
            json.dumps(QUERY).encode(),
            **{"X-Correlation-Id": "corr-42"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["person"]["family_name"] == "Andersson"
        assert body["periods"] and body["periods"][0]["currency"] == "EUR"
        assert response.headers["X-Correlation-Id"] == "corr-42"
        exchange_id = response.headers["X-Exchange-Id"]
        await completed(hub, exchange_id)
        assert _events(hub, exchange_id) == [
            "Received",
            "Translated",
            "Authorised",
            "Routed",
            "Delivered",
            "Responded",
            "Disclosed",
            "Completed",
        ]
        exchange = hub.ledger.get(UUID(exchange_id))
        assert exchange.correlation_id == "corr-42"
        assert region.social_security.calls == 1


async def test_soap_client_queries_the_json_bureau(hub_settings: HubSettings) -> None:
    """zeep, given the hub's generated WSDL, gets a tax clearance from the JSON bureau."""
    async with running_region(hub_settings) as region:
        url = region.hub.http_url

        def call():  # type: ignore[no-untyped-def]
            session = requests.Session()
            session.headers.update(auth_headers(region.hub, "north/social-security"))
            client = zeep.Client(
                f"{url}/soap?wsdl", settings=HARDENED_ZEEP, transport=Transport(session=session)
            )
            return client.service.TaxClearance(national_id="19680229-9012", tax_year=2025)

        answer = await asyncio.to_thread(call)
        assert answer.status == "outstanding"
        assert answer.outstanding_amount > 0
        assert region.tax.calls == 1


@pytest.mark.parametrize(
    ("service", "body", "status", "code", "path"),
    [
        (SS, b'{"national_id": "1980', 400, "json-invalid", "byte 16"),
        (
            SS,
            json.dumps({**QUERY, "period_start": "01.01.2000"}).encode(),
            422,
            "contract-violation",
            "/period_start",
        ),
        (
            SS,
            json.dumps({**QUERY, "national_id": "x"}).encode(),
            422,
            "contract-violation",
            "/national_id",
        ),
        ("north/vehicles/registration", b"{}", 404, "unknown-service", "$"),
    ],
)
async def test_bad_json_input_is_rejected_recorded_and_named(
    hub_settings: HubSettings, service: str, body: bytes, status: int, code: str, path: str
) -> None:
    """Each bad input gets a problem naming code and path, and a Received+Rejected record."""
    async with running_region(hub_settings) as region:
        response = await _post(region.hub, f"{region.hub.http_url}/services/{service}", body)
        assert response.status_code == status
        problem = response.json()
        assert problem["code"] == code
        assert path in [issue["path"] for issue in problem["issues"]]
        assert _events(region.hub, problem["exchange_id"]) == ["Received", "Rejected"]
        assert region.social_security.calls == 0


async def test_oversized_payload_is_refused_before_parsing(hub_settings: HubSettings) -> None:
    """A body over the cap is answered 413 and recorded, without reaching any provider."""
    settings = hub_settings.model_copy(update={"max_payload_bytes": 1024})
    async with running_region(settings) as region:
        response = await _post(region.hub, f"{region.hub.http_url}/services/{SS}", b"x" * 5000)
        assert response.status_code == 413
        assert response.json()["code"] == "payload-too-large"
        exchange = region.hub.ledger.get(UUID(response.json()["exchange_id"]))
        assert exchange.status is Status.REJECTED


async def test_missing_credentials_are_refused_and_recorded(hub_settings: HubSettings) -> None:
    """A query without a token is refused 401 with the header named, and recorded."""
    async with running_region(hub_settings) as region:
        async with httpx.AsyncClient() as http:
            response = await http.post(
                f"{region.hub.http_url}/services/{SS}", content=json.dumps(QUERY),
                headers={"X-Hub-Client": "north/tax"},
            )
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["code"] == "missing-credentials"
        assert response.json()["issues"][0]["path"] == "header:Authorization"
        assert _events(region.hub, response.json()["exchange_id"]) == ["Received", "Rejected"]


async def test_soap_schema_violation_is_a_client_fault_naming_the_field(
    hub_settings: HubSettings,
) -> None:
    """A SOAP body violating the generated schema is a soap:Client fault naming the element."""
    envelope = (
        b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        b'<c:TaxClearanceQuery xmlns:c="urn:interop-hub:contracts:1">'
        b"<c:national_id>19800101-1234</c:national_id><c:tax_year>twenty</c:tax_year>"
        b"</c:TaxClearanceQuery></soap:Body></soap:Envelope>"
    )
    async with running_region(hub_settings) as region:
        response = await _post(
            region.hub, f"{region.hub.http_url}/soap", envelope, **{"Content-Type": "text/xml"}
        )
        assert response.status_code == 500
        assert "Client" in response.text and "tax_year" in response.text
        exchange_id = response.headers["X-Exchange-Id"]
        assert _events(region.hub, exchange_id) == ["Received", "Rejected"]


async def test_soap_entity_attack_is_refused(hub_settings: HubSettings) -> None:
    """A SOAP request with a DOCTYPE is refused as malformed; nothing is expanded."""
    attack = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>'
        b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        b"<soap:Body>&a;</soap:Body></soap:Envelope>"
    )
    async with running_region(hub_settings) as region:
        response = await _post(
            region.hub, f"{region.hub.http_url}/soap", attack, **{"Content-Type": "text/xml"}
        )
        assert response.status_code == 500
        assert "dtd-forbidden" in response.text


async def test_bad_inputs_do_not_disturb_good_ones(hub_settings: HubSettings) -> None:
    """Good and bad queries interleaved concurrently: every good one completes."""
    async with running_region(hub_settings) as region:
        url = f"{region.hub.http_url}/services/{SS}"
        good = [_post(region.hub, url, json.dumps(QUERY).encode()) for _ in range(10)]
        bad = [_post(region.hub, url, b"{not json") for _ in range(10)]
        responses = await asyncio.gather(*good, *bad)
        assert [r.status_code for r in responses] == [200] * 10 + [400] * 10


async def test_provider_server_fault_is_retried_then_answered(hub_settings: HubSettings) -> None:
    """Two soap:Server faults are retried (DeliveryFailed twice), the third attempt answers."""
    async with running_region(hub_settings) as region:
        region.social_security.server_faults_next = 2
        response = await _post(
            region.hub, f"{region.hub.http_url}/services/{SS}", json.dumps(QUERY).encode()
        )
        assert response.status_code == 200
        await completed(region.hub, response.headers["X-Exchange-Id"])
        events = _events(region.hub, response.headers["X-Exchange-Id"])
        assert events.count("DeliveryFailed") == 2
        assert events[-4:] == ["Delivered", "Responded", "Disclosed", "Completed"]


async def test_exhausted_retries_dead_letter_the_exchange(hub_settings: HubSettings) -> None:
    """A provider failing every attempt leads to DeadLettered and a 502 naming the reason."""
    settings = hub_settings.model_copy(update={"max_deliver": 3})
    async with running_region(settings) as region:
        region.tax.server_errors_next = 10
        response = await _post(
            region.hub, f"{region.hub.http_url}/services/{TAX}",
            json.dumps({"national_id": "19800101-1234", "tax_year": 2025}).encode(),
            client="north/social-security",
        )
        assert response.status_code == 502
        assert response.json()["outcome"] == "dead-lettered"
        events = _events(region.hub, response.json()["exchange_id"])
        assert events.count("DeliveryFailed") == 3 and events[-1] == "DeadLettered"


async def test_unknown_person_is_a_non_retryable_provider_fault(
    hub_settings: HubSettings,
) -> None:
    """The bureau's soap:Client fault is not retried; the client gets 502 with the reason."""
    async with running_region(hub_settings) as region:
        response = await _post(
            region.hub, f"{region.hub.http_url}/services/{SS}",
            json.dumps({**QUERY, "national_id": "20000101-0000"}).encode(),
        )
        assert response.status_code == 502
        assert response.json()["outcome"] == "failed"
        assert region.social_security.calls == 1


async def test_relay_publishes_what_was_recorded_while_the_hub_was_down(
    hub_settings: HubSettings,
) -> None:
    """An exchange recorded but never published is delivered after restart, exactly once."""
    from hub.adapters.store.ledger import Arrival, Translation
    from hub.bootstrap.privacy import build_ledger

    hub_settings.data.mkdir(parents=True)
    ledger = build_ledger(hub_settings)
    exchange_id = ledger.record_accepted(
        Arrival("north/tax", SS, "corr-offline", "json", "sha256:0", 0, ""),
        Translation(
            "social-security.contribution-history-query@1.0",
            QUERY,
            "sha256:1",
            "north/social-security",
            "hub.north.deliver.social-security.x",
        ),
    )
    ledger.close()
    async with running_region(hub_settings) as region:
        await wait_until_async(
            lambda: region.hub.ledger.get(exchange_id).status is Status.RESPONDED, timeout_s=10,
            message="the exchange recorded before the restart answered after it")
        assert region.social_security.calls == 1
    async with running_region(hub_settings) as region:
        await asyncio.sleep(0.5)
        assert region.social_security.calls == 0  # nothing published twice after restart


@pytest.mark.postgres
async def test_both_directions_with_the_postgresql_store(
    hub_settings: HubSettings, postgres_url: str
) -> None:
    """With HUB_STORE=postgresql://..., both directions complete and are recorded there."""
    settings = hub_settings.model_copy(update={"store": postgres_url})
    async with running_region(settings) as region:
        hub = region.hub
        response = await _post(hub, f"{hub.http_url}/services/{SS}", json.dumps(QUERY).encode())
        assert response.status_code == 200, response.text
        tax = await _post(hub, f"{hub.http_url}/services/{TAX}",
                          json.dumps({"national_id": "19920315-2468", "tax_year": 2025}).encode(),
                          client="north/social-security")
        assert tax.json()["status"] == "under-review"
        assert hub.store.startswith("postgresql://")
        for answered in (response, tax):
            await completed(hub, answered.headers["X-Exchange-Id"])
        statuses = [hub.ledger.get(i).status for i in hub.ledger.exchange_ids()]
        assert statuses == [Status.COMPLETED, Status.COMPLETED]
