"""X-Road's own sample messages, sent as they are to the hub's SOAP ingress, get answered.

The hub maps ``xrd:service`` onto its service, ``xrd:client`` onto a department
(explicit table), ``xrd:id`` onto the correlation id, calls the emulated X-Road
provider natively, and answers in the client's vocabulary with the X-Road
headers echoed.
"""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import httpx
import pytest
from lxml import etree

from hub.entrypoints.serve import Hub
from hub.settings import HubSettings
from simulations.xroad_example.services import XROAD_PURPOSE
from tests.integration.hub_fixtures import completed, department_token, grant
from tests.integration.xroad_fixtures import (
    SAMPLE_DEPARTMENT,
    XROAD_HEADERS,
    running_xroad_region,
)
from translation.soap_envelope import parse_envelope, parse_fault
from translation.xroad_headers import XROAD_NS, XRoadHeaders

GLOBAL_NS = "http://test.x-road.global/producer"
FI_NS = "http://test.x-road.fi/producer"


def _sample(shared_external: Path, name: str) -> bytes:
    return (shared_external / "xroad-messages" / name).read_bytes()


async def _post(hub: Hub, body: bytes, department: str = SAMPLE_DEPARTMENT) -> httpx.Response:
    """POST to the SOAP ingress with a token of ``department`` (the mapped X-Road client's)."""
    token = department_token(hub, department)
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(
            f"{hub.http_url}/soap", content=body,
            headers={"Content-Type": "text/xml", "Authorization": f"Bearer {token}",
                     **XROAD_HEADERS},
        )


def _events(hub, exchange_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [type(e).__name__ for e in hub.ledger.history(UUID(exchange_id))]


async def test_get_random_sample_is_answered_with_headers_echoed(
    hub_settings: HubSettings, shared_external: Path
) -> None:
    """getRandom.xml: a random number in the sample's namespace, X-Road headers echoed."""
    sample = _sample(shared_external, "getRandom.xml")
    async with running_xroad_region(hub_settings) as region:
        response = await _post(region.hub, sample)
        assert response.status_code == 200, response.text
        answer = parse_envelope(response.content)
        assert answer.body.tag == f"{{{FI_NS}}}getRandomResponse"
        assert int(answer.body.findtext(f"{{{FI_NS}}}data") or "") in range(1, 101)
        sent = XRoadHeaders.from_soap(parse_envelope(sample).headers)
        assert XRoadHeaders.from_soap(answer.headers) == sent
        assert [etree.QName(h).localname for h in answer.headers] == [
            "client",
            "service",
            "id",
            "userId",
            "protocolVersion",
        ]
        exchange_id = response.headers["X-Exchange-Id"]
        exchange = region.hub.ledger.get(UUID(exchange_id))
        assert exchange.client == SAMPLE_DEPARTMENT
        assert exchange.service == "north/xroad-example/get-random"
        assert exchange.correlation_id == "_REQUEST_ID_"
        await completed(region.hub, exchange_id)
        assert _events(region.hub, exchange_id) == [
            "Received",
            "Translated",
            "Authorised",
            "Routed",
            "Delivered",
            "Responded",
            "Disclosed",
            "Completed",
        ]
        # The provider was called natively, as an X-Road provider, with the same message id.
        assert region.provider.message_ids == ["_REQUEST_ID_"]
        assert region.provider.clients == ["DEV/GOV/1000/interop-hub"]


async def test_hello_service_sample_is_answered(
    hub_settings: HubSettings, shared_external: Path
) -> None:
    """helloService.xml: the provider's greeting comes back in the producer namespace."""
    async with running_xroad_region(hub_settings) as region:
        response = await _post(region.hub, _sample(shared_external, "helloService.xml"))
        assert response.status_code == 200, response.text
        answer = parse_envelope(response.content)
        assert answer.body.tag == f"{{{GLOBAL_NS}}}helloServiceResponse"
        assert answer.body.findtext(f"{{{GLOBAL_NS}}}message") == (
            "Hello _NAME_! Greetings from adapter server!"
        )
        headers = XRoadHeaders.from_soap(answer.headers)
        assert headers is not None and headers.user_id == "EE1234567890"
        assert str(headers.service) == "SERVICE:DEV/COM/1234/TestService/helloService/v1"


@pytest.mark.parametrize(
    ("edit", "code", "issue_code", "path"),
    [
        (
            (b"<iden:memberCode>4321", b"<iden:memberCode>9999"),
            "unknown-xroad-client",
            "unknown-xroad-client",
            "/Envelope/Header/xrd:client",
        ),
        (
            (b">4.0<", b">3.1<"),
            "xroad-header-invalid",
            "xroad-protocol-version",
            "/Envelope/Header/xrd:protocolVersion",
        ),
        (
            (b"<xro:id>_REQUEST_ID_</xro:id>", b""),
            "xroad-header-invalid",
            "xroad-header-missing",
            "/Envelope/Header/xrd:id",
        ),
        (
            (b"<iden:serviceCode>helloService", b"<iden:serviceCode>goodbyeService"),
            "unknown-service",
            "unknown-service",
            "$",
        ),
        (
            (b"<prod:name>_NAME_</prod:name>", b"<prod:nom>_NAME_</prod:nom>"),
            "schema-violation",
            "schema-violation",
            "/helloService/nom",
        ),
    ],
)
async def test_bad_xroad_messages_are_client_faults_naming_the_problem(
    hub_settings: HubSettings,
    shared_external: Path,
    edit: tuple[bytes, bytes],
    code: str,
    issue_code: str,
    path: str,
) -> None:
    """An unmapped client, another protocol version, a missing id, an unknown service or an
    unknown body child: a soap:Client fault with the code and path, recorded as Rejected."""
    sample = _sample(shared_external, "helloService.xml")
    assert edit[0] in sample
    async with running_xroad_region(hub_settings) as region:
        response = await _post(region.hub, sample.replace(*edit))
        assert response.status_code == 500
        fault = parse_fault(parse_envelope(response.content).body)
        assert fault.faultcode == "Client" and fault.code == code
        assert (path, issue_code) in [(i.path, i.code) for i in fault.issues]
        assert _events(region.hub, response.headers["X-Exchange-Id"]) == ["Received", "Rejected"]
        assert region.provider.calls == 0


async def test_native_request_without_xroad_headers_uses_hub_headers(
    hub_settings: HubSettings,
) -> None:
    """A native body with the hub's client header is routed by its element; no X-Road echo."""
    envelope = (
        b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"'
        b' xmlns:hub="urn:interop-hub:envelope:1"><s:Header>'
        b"<hub:client>north/tax</hub:client><hub:correlationId>c-7</hub:correlationId>"
        b'</s:Header><s:Body><p:helloService xmlns:p="http://test.x-road.global/producer">'
        b"<p:name>Ada</p:name></p:helloService></s:Body></s:Envelope>"
    )
    async with running_xroad_region(hub_settings) as region:
        await grant(region.hub, "north/tax", "north/xroad-example/hello-service", XROAD_PURPOSE)
        response = await _post(region.hub, envelope, "north/tax")
        assert response.status_code == 200, response.text
        answer = parse_envelope(response.content)
        assert answer.body.findtext(f"{{{GLOBAL_NS}}}message") == (
            "Hello Ada! Greetings from adapter server!"
        )
        assert not any(etree.QName(h).namespace == XROAD_NS for h in answer.headers)
        assert region.hub.ledger.get(UUID(response.headers["X-Exchange-Id"])).client == "north/tax"
        assert response.headers["X-Correlation-Id"] == "c-7"


async def test_xroad_client_of_another_department_than_the_token_is_refused(
    hub_settings: HubSettings, shared_external: Path
) -> None:
    """A mapped xrd:client whose department is not the token's: 403 naming xrd:client."""
    sample = _sample(shared_external, "helloService.xml")
    async with running_xroad_region(hub_settings) as region:
        response = await _post(region.hub, sample, "north/tax")
        assert response.status_code == 403
        fault = parse_fault(parse_envelope(response.content).body)
        assert fault.code == "client-mismatch"
        assert [i.path for i in fault.issues] == ["/Envelope/Header/xrd:client"]
        assert _events(region.hub, response.headers["X-Exchange-Id"]) == ["Received", "Rejected"]
        assert region.provider.calls == 0
