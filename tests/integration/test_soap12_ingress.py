"""SOAP 1.2 at the real hub's ingress: application/soap+xml in, SOAP 1.2 answers and 1.2 Faults."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID

import httpx
import pytest
import pytest_asyncio
from lxml import etree

from hub.settings import HubSettings
from tests.integration.hub_fixtures import PURPOSE, Region, auth_headers, running_region
from translation.soap12 import parse_envelope12
from translation.soap_envelope import SOAP12_NS

pytestmark = pytest.mark.asyncio(loop_scope="module")

ENV = f"{{{SOAP12_NS}}}"
SOAP12 = (f'<env:Envelope xmlns:env="{SOAP12_NS}"><env:Header>'
          '<hub:purpose xmlns:hub="urn:interop-hub:envelope:1">{purpose}</hub:purpose>'
          "</env:Header><env:Body>{body}</env:Body></env:Envelope>")
TAX_BODY = ('<c:TaxClearanceQuery xmlns:c="urn:interop-hub:contracts:1">'
            "<c:national_id>19680229-9012</c:national_id><c:tax_year>{year}</c:tax_year>"
            "</c:TaxClearanceQuery>")
SOAP12_TYPE = 'application/soap+xml; charset=utf-8; action="TaxClearance"'


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def region(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Region]:
    settings = HubSettings(data=tmp_path_factory.mktemp("soap12") / "hub", log_format="json",
                           reply_timeout_s=20)
    async with running_region(settings) as running:
        yield running


def _envelope(year: str = "2025") -> bytes:
    return SOAP12.format(purpose=PURPOSE, body=TAX_BODY.format(year=year)).encode()


async def _post(region: Region, body: bytes, content_type: str = SOAP12_TYPE) -> httpx.Response:
    headers = auth_headers(region.hub, "north/social-security", **{"Content-Type": content_type,
                                                                   "X-Hub-Purpose": ""})
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(f"{region.hub.http_url}/soap", content=body, headers=headers)


def _events(region: Region, response: httpx.Response) -> list[str]:
    history = region.hub.ledger.history(UUID(response.headers["X-Exchange-Id"]))
    return [type(e).__name__ for e in history]


async def test_a_soap12_request_is_answered_in_soap12(region: Region) -> None:
    """application/soap+xml with an action: a SOAP 1.2 envelope back, as application/soap+xml."""
    response = await _post(region, _envelope())
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/soap+xml")
    message = parse_envelope12(response.content)
    assert etree.QName(message.body).localname == "TaxClearance"
    assert message.body.findtext("{urn:interop-hub:contracts:1}status") == "outstanding"


async def test_a_refusal_is_a_soap12_sender_fault_with_the_code_as_subcode(region: Region) -> None:
    """A contract violation: env:Sender, hub:<code> subcode, Reason with xml:lang, recorded."""
    response = await _post(region, _envelope(year="twenty"))
    # SOAP 1.2's HTTP binding: env:Sender is a 4xx (here schema-violation's 400), not 500
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/soap+xml")
    fault = parse_envelope12(response.content).body
    assert fault.tag == f"{ENV}Fault"
    assert fault.findtext(f"{ENV}Code/{ENV}Value") == "env:Sender"
    subcode = fault.findtext(f"{ENV}Code/{ENV}Subcode/{ENV}Value")
    text = fault.find(f"{ENV}Reason/{ENV}Text")
    assert text is not None and text.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    problem = fault.find(f"{ENV}Detail/{{urn:interop-hub:fault:1}}problem")
    assert problem is not None and subcode == f"hub:{problem.get('code')}"
    assert "tax_year" in etree.tostring(problem).decode()
    assert _events(region, response) == ["Received", "Rejected"]


async def test_a_refused_token_is_a_soap12_fault_too(region: Region) -> None:
    """Refusals before the body is read are answered in the declared version (here 401)."""
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(f"{region.hub.http_url}/soap", content=_envelope(),
                                   headers={"Content-Type": SOAP12_TYPE,
                                            "Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    fault = parse_envelope12(response.content).body
    assert fault.findtext(f"{ENV}Code/{ENV}Subcode/{ENV}Value") == "hub:malformed-credentials"


async def test_a_soap12_envelope_sent_as_text_xml_gets_a_soap12_fault(region: Region) -> None:
    """The envelope is 1.2 but the type says 1.1: the Fault is in 1.2, naming the mismatch."""
    response = await _post(region, _envelope(), content_type="text/xml")
    fault = parse_envelope12(response.content).body
    assert fault.findtext(f"{ENV}Code/{ENV}Value") == "env:Sender"
    issue = fault.find(f"{ENV}Detail/{{urn:interop-hub:fault:1}}problem/"
                       "{urn:interop-hub:fault:1}issue")
    assert issue is not None and issue.get("code") == "soap-version-mismatch"
    assert _events(region, response) == ["Received", "Rejected"]
