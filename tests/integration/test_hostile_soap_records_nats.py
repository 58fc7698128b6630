"""Hostile input at the SOAP ingress, POST /records and the NATS ingress (see test_hostile_input).

Each case must end in a recorded refusal (a Client Fault, problem details or a
NATS reply naming the code), and the hub must answer a good request after it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator

import httpx
import nats
import pytest
import pytest_asyncio

from hub.adapters.nats.accounts import inbox_prefix, ingress_subject
from hub.domain.credential import CredentialKind
from tests.integration.hostile_helpers import (
    CAP,
    DEEP,
    QUERY,
    SS,
    fault,
    hostile_region,
    post_record,
    problem,
    recorded,
    still_answers,
)
from tests.integration.hub_fixtures import PURPOSE, Region, auth_headers
from tests.waiting import wait_until_async
from translation.soap_envelope import parse_envelope, parse_fault

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(180)]
SOAP = ('<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        "<soap:Body>{}</soap:Body></soap:Envelope>")
TAX_BODY = ('<c:TaxClearanceQuery xmlns:c="urn:interop-hub:contracts:1">'
            "<c:national_id>19800101-1234</c:national_id><c:tax_year>2025</c:tax_year>"
            "</c:TaxClearanceQuery>")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def region(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Region]:
    async with hostile_region(tmp_path_factory.mktemp("hostile")) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


async def _soap(region: Region, http: httpx.AsyncClient, body: bytes,
                content_type: str = "text/xml; charset=utf-8") -> httpx.Response:
    return await http.post(
        f"{region.hub.http_url}/soap", content=body,
        headers=auth_headers(region.hub, "north/social-security", **{"Content-Type": content_type}))


SOAP_CASES: dict[str, tuple[bytes, str, str]] = {
    "soap 1.1 envelope as soap 1.2": (SOAP.format(TAX_BODY).encode(), "application/soap+xml",
                                      "malformed-input"),
    "json content type": (SOAP.format(TAX_BODY).encode(), "application/json",
                          "unsupported-media-type"),
    "text/plain": (SOAP.format(TAX_BODY).encode(), "text/plain", "unsupported-media-type"),
    "not xml": (b"hello", "text/xml", "malformed-input"),
    "empty": (b"", "text/xml", "malformed-input"),
    "truncated": (SOAP.format(TAX_BODY).encode()[:-20], "text/xml", "malformed-input"),
    "NUL byte": (SOAP.format(TAX_BODY).encode().replace(b"2025", b"20\x0025"), "text/xml",
                 "malformed-input"),
    "deep nesting": (SOAP.format("<a>" * 100_000 + "</a>" * 100_000).encode(), "text/xml",
                     "malformed-input"),
    "billion laughs": (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">'
                       b'<!ENTITY b "&a;&a;&a;&a;">]>' + SOAP.format("&b;").encode(), "text/xml",
                       "malformed-input"),
    "external entity": (b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                        + SOAP.format("<x>&e;</x>").encode(), "text/xml", "malformed-input"),
    "over the byte cap": (SOAP.format("<x>" + "a" * CAP + "</x>").encode(), "text/xml",
                          "payload-too-large"),
    "4 KB correlationId header": (
        SOAP.replace("<soap:Body>", '<soap:Header><hub:correlationId '
                     'xmlns:hub="urn:interop-hub:envelope:1">' + "c" * 4096
                     + "</hub:correlationId></soap:Header><soap:Body>").format(TAX_BODY).encode(),
        "text/xml", "bad-correlation-id"),
    "invalid utf-8": (SOAP.format(TAX_BODY).encode().replace(b"2025", b"20\xff25"), "text/xml",
                      "malformed-input"),
}


@pytest.mark.parametrize("case", sorted(SOAP_CASES))
async def test_hostile_soap_is_a_recorded_clientfault(
    region: Region, http: httpx.AsyncClient, case: str
) -> None:
    """Each SOAP attack is a Client Fault with a stable code, recorded."""
    body, content_type, code = SOAP_CASES[case]
    fault(region, await _soap(region, http, body, content_type), code)
    await still_answers(region, http)


async def test_a_soap11_envelope_sent_as_soap12_is_answered_in_soap11(
    region: Region, http: httpx.AsyncClient
) -> None:
    """The sender used SOAP 1.1: its Fault is in 1.1 (it can read it) and names the mismatch."""
    response = await _soap(region, http, SOAP.format(TAX_BODY).encode(), "application/soap+xml")
    assert response.headers["content-type"].startswith("text/xml")
    fault = parse_fault(parse_envelope(response.content).body)
    assert fault.issues[0].code == "soap-version-mismatch"


RECORD_CASES: dict[str, tuple[bytes, str, str]] = {
    "deep": (b"[" * DEEP + b"]" * DEEP, "application/json", "json-too-deep"),
    "duplicate key": (b'{"as_of": "2026-11-01", "as_of": "2026-11-02"}', "application/json",
                      "json-duplicate-key"),
    "NaN": (b'{"as_of": NaN}', "application/json", "json-non-finite"),
    "long number": (b'{"as_of": ' + b"1" * 10_000 + b"}", "application/json",
                    "json-number-too-long"),
    "utf-16": (b'{"as_of": 1}'.decode().encode("utf-16"), "application/json", "json-not-utf8"),
    "truncated": (b'{"as_of": "2026', "application/json", "json-invalid"),
    "text/plain": (b"{}", "text/plain", "unsupported-media-type"),
    "charset latin-1": (b"{}", "application/json; charset=latin-1", "unsupported-media-type"),
    "over the cap": (b" " * (CAP + 1), "application/json", "payload-too-large"),
    "not a record": (b"{}", "application/json", "contract-violation"),
}


@pytest.mark.parametrize("case", sorted(RECORD_CASES))
async def test_hostile_records_are_refused_andrecorded(
    region: Region, http: httpx.AsyncClient, case: str
) -> None:
    """POST /records: the same reader and checks, each refusal recorded (it was not before)."""
    body, content_type, code = RECORD_CASES[case]
    problem(region, await post_record(region, http, body, content_type=content_type), code)
    await still_answers(region, http)


async def test_records_of_unknown_contracts_are_recorded_404s(
    region: Region, http: httpx.AsyncClient
) -> None:
    for contract in ("nope@1.0", "x" * 500 + "@1.0"):
        response = await post_record(region, http, b"{}", contract=contract)
        assert response.status_code == 404
        problem(region, response, "record-contract-unknown")


async def _nats_department(region: Region, name: str) -> nats.NATS:
    credentials = region.hub.credentials
    assert credentials is not None
    issued = credentials.issue(f"north/{name}", CredentialKind.DEPARTMENT, dt.timedelta(hours=1))
    assert issued.nats_seed is not None
    seed = issued.nats_seed.decode()
    return await wait_until_async(  # errors: the server has not reloaded its users yet
        lambda: nats.connect(region.hub.nats_url, nkeys_seed_str=seed,
                             inbox_prefix=inbox_prefix(name), allow_reconnect=False,
                             connect_timeout=5),
        timeout_s=15, interval_s=0.1, ignoring=(nats.errors.Error, OSError),
        message=f"north/{name}'s NATS connection")


NATS_CASES: dict[str, tuple[bytes, dict[str, str], str]] = {
    "deep": (b"[" * DEEP + b"]" * DEEP, {}, "json-too-deep"),
    "duplicate key": (b'{"national_id": "1", "national_id": "2"}', {}, "json-duplicate-key"),
    "NaN": (b'{"national_id": NaN}', {}, "json-non-finite"),
    "1e999999": (b'{"national_id": 1e999999}', {}, "json-non-finite"),
    "utf-16": (json.dumps(QUERY).encode("utf-16"), {}, "json-not-utf8"),
    "content type": (json.dumps(QUERY).encode(), {"Content-Type": "text/xml"},
                     "unsupported-media-type"),
    "no service header": (json.dumps(QUERY).encode(), {"Hub-Service": ""}, "missing-service"),
    "over the cap": (b" " * (CAP + 1), {}, "payload-too-large"),
    "4 KB correlation id": (json.dumps(QUERY).encode(), {"Hub-Correlation-Id": "c" * 4096},
                            "bad-correlation-id"),
}


async def test_hostile_nats_queries_are_refused_andrecorded(
    region: Region, http: httpx.AsyncClient
) -> None:
    """The NATS ingress reads with the same reader; every refusal is a recorded reply."""
    nc = await _nats_department(region, "tax")
    try:
        for case, (body, headers, code) in sorted(NATS_CASES.items()):
            sent = {"Hub-Service": SS, **headers}
            reply = await nc.request(ingress_subject("north", "tax"), body,
                                     headers={k: v for k, v in sent.items() if v}, timeout=10)
            answer = json.loads(reply.data)
            assert answer["outcome"] == "rejected", case
            assert answer["error"]["code"] == code, (case, answer)
            recorded(region, answer["exchange_id"])
        good = await nc.request(ingress_subject("north", "tax"), json.dumps(QUERY).encode(),
                                headers={"Hub-Service": SS, "Hub-Purpose": PURPOSE}, timeout=20)
        assert json.loads(good.data)["outcome"] == "responded"
    finally:
        await nc.close()
    await still_answers(region, http)
