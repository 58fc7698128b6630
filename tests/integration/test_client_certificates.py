"""TLS client certificates at the real hub: it terminates TLS itself on loopback, and a
verified certificate bound to a department proves it without a bearer token."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID

import httpx
import pytest
import pytest_asyncio

from hub.settings import HubSettings
from tests.integration.hub_fixtures import PURPOSE, Region, department_token, running_region
from tests.integration.tls_certificates import Issued, LoopbackCa, client_context
from translation.hub_wsdl import HEADER_NS
from translation.soap_envelope import parse_envelope

pytestmark = pytest.mark.asyncio(loop_scope="module")

SS = "north/social-security/contribution-history"
QUERY = {"national_id": "19800101-1234", "period_start": "2000-01-01", "period_end": "2026-12-31"}
SUBJECT = "CN=tax-legacy,O=North"


@dataclass
class Tls:
    """The running hub (over TLS) and the certificates the tests present."""

    region: Region
    ca: LoopbackCa
    bound: Issued
    by_san: Issued
    stranger: Issued
    foreign: Issued
    foreign_ca: LoopbackCa


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def tls(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Tls]:
    folder = tmp_path_factory.mktemp("tls")
    ca, foreign_ca = LoopbackCa(folder), LoopbackCa(folder, "Foreign CA")
    server = ca.server("hub")
    settings = HubSettings(data=folder / "hub", log_format="json", reply_timeout_s=20,
                           tls_certfile=server.cert, tls_keyfile=server.key,
                           tls_client_ca=ca.bundle)
    async with running_region(settings) as region:
        assert region.hub.credentials is not None
        legacy = region.hub.credentials.legacy
        await asyncio.to_thread(legacy.bind_certificate, "north/tax", f"subject:{SUBJECT}")
        await asyncio.to_thread(legacy.bind_certificate, "north/social-security",
                                "dns:ss-legacy.north.example")
        yield Tls(region, ca, ca.client("bound", "tax-legacy"),
                  ca.client("by-san", "whatever", dns="ss-legacy.north.example"),
                  ca.client("stranger", "stranger"), foreign_ca.client("foreign", "tax-legacy"),
                  foreign_ca)


async def _ask(tls: Tls, client: Issued | None, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(verify=client_context(tls.ca, client), timeout=30) as http:
        return await http.post(f"{tls.region.hub.http_url}/services/{SS}",
                               content=json.dumps(QUERY),
                               headers={"X-Hub-Purpose": PURPOSE, **headers})


def _client_of(tls: Tls, response: httpx.Response) -> str:
    exchange_id = response.headers.get("X-Exchange-Id") or response.json()["exchange_id"]
    return tls.region.hub.ledger.get(UUID(exchange_id)).client


async def test_the_hub_serves_https_on_loopback(tls: Tls) -> None:
    assert tls.region.hub.http_url.startswith("https://127.0.0.1:")


async def test_a_bound_certificate_needs_no_token(tls: Tls) -> None:
    """Subject CN=tax-legacy,O=North is bound to north/tax: answered, recorded as north/tax."""
    response = await _ask(tls, tls.bound)
    assert response.status_code == 200, response.text
    assert _client_of(tls, response) == "north/tax"


async def test_a_certificate_bound_by_its_san_over_soap(tls: Tls) -> None:
    """A SOAP client with only a certificate (SAN) and hub:purpose: no HTTP header at all."""
    body = (f'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
            f'<soap:Header><hub:purpose xmlns:hub="{HEADER_NS}">{PURPOSE}</hub:purpose>'
            '</soap:Header><soap:Body>'
            '<c:TaxClearanceQuery xmlns:c="urn:interop-hub:contracts:1">'
            "<c:national_id>19680229-9012</c:national_id><c:tax_year>2025</c:tax_year>"
            "</c:TaxClearanceQuery></soap:Body></soap:Envelope>")
    async with httpx.AsyncClient(verify=client_context(tls.ca, tls.by_san), timeout=30) as http:
        response = await http.post(f"{tls.region.hub.http_url}/soap", content=body)
    assert response.status_code == 200, response.text
    assert not parse_envelope(response.content).is_fault
    assert _client_of(tls, response) == "north/social-security"


async def test_an_unbound_certificate_is_refused_and_recorded(tls: Tls) -> None:
    """Verified by the CA but bound to no department: 401 certificate-unknown, recorded."""
    response = await _ask(tls, tls.stranger)
    assert response.status_code == 401
    problem = response.json()
    assert problem["code"] == "certificate-unknown"
    assert problem["issues"][0]["path"] == "tls:client-certificate"
    history = tls.region.hub.ledger.history(UUID(problem["exchange_id"]))
    assert [type(e).__name__ for e in history] == ["Received", "Rejected"]
    assert _client_of(tls, response) == "unknown"


async def test_a_certificate_from_another_ca_fails_the_handshake(tls: Tls) -> None:
    """Same subject as the bound one, but not verified by the configured CA bundle."""
    with pytest.raises(httpx.TransportError):
        await _ask(tls, tls.foreign)


async def test_a_bearer_token_still_works_without_a_certificate(tls: Tls) -> None:
    """Certificates are optional at the TLS layer: a department with a token needs none."""
    token = department_token(tls.region.hub, "north/tax")
    response = await _ask(tls, None, Authorization=f"Bearer {token}")
    assert response.status_code == 200, response.text


async def test_a_bearer_token_wins_over_a_certificate(tls: Tls) -> None:
    """With both, the token is the proof checked: a bad token is refused despite the cert."""
    response = await _ask(tls, tls.bound, Authorization="Bearer not-a-token")
    assert (response.status_code, response.json()["code"]) == (401, "malformed-credentials")
