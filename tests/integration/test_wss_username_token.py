"""WS-Security UsernameToken at the real hub: zeep (an independent client) proves a department.

The hub runs with a real nats-server and SQLite; the client sends no
``Authorization`` and no ``X-Hub-Purpose``: the UsernameToken (PasswordDigest)
names the department and ``hub:purpose`` in the SOAP header names the purpose.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import httpx
import pytest
import pytest_asyncio
import requests
import zeep
from lxml import etree
from zeep.transports import Transport
from zeep.wsse.username import UsernameToken

from hub.settings import HubSettings
from simulations.scenario import HARDENED_ZEEP
from tests.integration.hub_fixtures import PURPOSE, Region, running_region
from translation.hub_wsdl import HEADER_NS
from translation.soap_envelope import parse_envelope, parse_fault

pytestmark = pytest.mark.asyncio(loop_scope="module")

CLIENT = "north/social-security"
USER = "ss-legacy"
PASSWORD = "legacy-password-0123456789"
QUERY = {"national_id": "19680229-9012", "tax_year": 2025}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def region(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Region]:
    settings = HubSettings(data=tmp_path_factory.mktemp("wss") / "hub", log_format="json",
                           reply_timeout_s=20)
    async with running_region(settings) as running:
        assert running.hub.credentials is not None
        await asyncio.to_thread(running.hub.credentials.legacy.set_username_token,
                                CLIENT, USER, PASSWORD)
        yield running


def _purpose() -> etree._Element:
    element = etree.Element(f"{{{HEADER_NS}}}purpose", nsmap={"hub": HEADER_NS})
    element.text = PURPOSE
    return element


def _client(region: Region, wsse: UsernameToken | None) -> zeep.Client:
    """zeep with a bare session: no Authorization, no X-Hub-* headers."""
    transport = Transport(session=requests.Session())
    return zeep.Client(f"{region.hub.http_url}/soap?wsdl", settings=HARDENED_ZEEP,
                       transport=transport, wsse=wsse)


async def _message(region: Region, wsse: UsernameToken | None, purpose: bool = True) -> bytes:
    """The envelope zeep would send (its UsernameToken applied), to send and resend as is."""

    def build() -> bytes:
        client = _client(region, wsse)
        headers: dict[str, Any] = {"_soapheaders": [_purpose()]} if purpose else {}
        envelope = client.create_message(client.service, "TaxClearance", **QUERY, **headers)
        return etree.tostring(envelope)

    return await asyncio.to_thread(build)


async def _post(region: Region, body: bytes) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(f"{region.hub.http_url}/soap", content=body,
                               headers={"Content-Type": "text/xml; charset=utf-8"})


def _events(region: Region, response: httpx.Response) -> list[str]:
    history = region.hub.ledger.history(UUID(response.headers["X-Exchange-Id"]))
    return [type(e).__name__ for e in history]


def _code(response: httpx.Response) -> str | None:
    return parse_fault(parse_envelope(response.content).body).code


async def test_zeep_with_a_username_token_and_a_soap_purpose_is_answered(region: Region) -> None:
    """zeep's own UsernameToken (digest) and hub:purpose: answered, no HTTP header needed."""
    calls = region.tax.calls

    def call() -> Any:
        client = _client(region, UsernameToken(USER, PASSWORD, use_digest=True))
        return client.service.TaxClearance(**QUERY, _soapheaders=[_purpose()])

    answer = await asyncio.to_thread(call)
    assert answer.status == "outstanding"
    assert region.tax.calls == calls + 1


async def test_zeep_over_the_wsdls_soap12_port_with_a_username_token(region: Region) -> None:
    """zeep bound to the WSDL's SOAP 1.2 port (application/soap+xml, 1.2 envelope) is answered."""
    calls = region.tax.calls

    def call() -> Any:
        client = _client(region, UsernameToken(USER, PASSWORD, use_digest=True))
        service = client.bind("InteropHub_north", "InteropHub_northSoap12Port")
        return service.TaxClearance(**QUERY, _soapheaders=[_purpose()])

    answer = await asyncio.to_thread(call)
    assert answer.status == "outstanding"
    assert region.tax.calls == calls + 1


async def test_the_token_names_the_client_and_a_replay_is_refused(region: Region) -> None:
    """The exchange's client is the token's department; the same bytes again: wss-replayed."""
    body = await _message(region, UsernameToken(USER, PASSWORD, use_digest=True))
    first = await _post(region, body)
    assert first.status_code == 200, first.text
    exchange = region.hub.ledger.get(UUID(first.headers["X-Exchange-Id"]))
    assert exchange.client == CLIENT
    again = await _post(region, body)
    assert (again.status_code, _code(again)) == (401, "wss-replayed")
    assert _events(region, again) == ["Received", "Rejected"]


def _stale(minutes: int) -> UsernameToken:
    created = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)
    return UsernameToken(USER, PASSWORD, use_digest=True, created=created)


BAD_TOKENS: dict[str, Any] = {
    "wss-wrong-password": lambda: UsernameToken(USER, PASSWORD + "x", use_digest=True),
    "wss-unknown-user": lambda: UsernameToken("nobody", PASSWORD, use_digest=True),
    "wss-expired": lambda: _stale(-10),
    "wss-password-text-refused": lambda: UsernameToken(USER, PASSWORD),
}


@pytest.mark.parametrize("code", sorted(BAD_TOKENS))
async def test_each_bad_token_is_a_fault_with_its_code_and_recorded(
    region: Region, code: str
) -> None:
    """Wrong password, unknown user, expired, PasswordText: 401 Fault, stable code, recorded."""
    response = await _post(region, await _message(region, BAD_TOKENS[code]()))
    assert (response.status_code, _code(response)) == (401, code), response.text
    fault = parse_fault(parse_envelope(response.content).body)
    assert fault.faultcode == "Client"
    assert fault.issues[0].path.startswith("/Envelope/Header/wsse:Security")
    assert PASSWORD not in response.text
    assert _events(region, response) == ["Received", "Rejected"]
    exchange = region.hub.ledger.get(UUID(response.headers["X-Exchange-Id"]))
    assert exchange.client == "unknown"


async def test_a_created_time_too_far_ahead_is_refused(region: Region) -> None:
    """A future Created beyond the allowed skew is refused like an old one."""
    response = await _post(region, await _message(region, _stale(10)))
    assert (response.status_code, _code(response)) == (401, "wss-expired")


async def test_no_token_and_no_header_is_missing_credentials(region: Region) -> None:
    """Without a token or a header the refusal is today's, naming the bearer header."""
    response = await _post(region, await _message(region, None))
    assert (response.status_code, _code(response)) == (401, "missing-credentials")
    assert _events(region, response) == ["Received", "Rejected"]


async def test_without_the_purpose_header_the_purpose_is_missing(region: Region) -> None:
    """The purpose came from hub:purpose: leave it out and the query is refused for it."""
    token = UsernameToken(USER, PASSWORD, use_digest=True)
    response = await _post(region, await _message(region, token, purpose=False))
    assert _code(response) == "purpose-required", response.text
