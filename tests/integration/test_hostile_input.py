"""Hostile input at every ingress: refused with a stable code, recorded, and the hub carries on.

Each case reaches one region's real hub (JSON ingress, SOAP ingress, records,
NATS ingress; headers and authentication) and must end in a 4xx (or 413, 415)
answered as problem details or a SOAP Fault, recorded as Received + Rejected in
the ledger, and be followed by a good request that the hub still answers. Fixed
cases name the classic attacks; hypothesis varies them (deep nesting, long
numbers, duplicate keys, encodings, content types, Unicode, NUL bytes,
truncation), with few examples each to keep the module quick.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import httpx
import nats
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.soap_envelope import parse_envelope, parse_fault
from hub.domain.credential import CredentialKind
from hub.nats.accounts import inbox_prefix, ingress_subject
from hub.settings import HubSettings
from tests.integration.hub_fixtures import PURPOSE, Region, auth_headers, running_region

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(180)]

SS = "north/social-security/contribution-history"
QUERY = {"national_id": "19800101-1234", "period_start": "2000-01-01", "period_end": "2026-12-31"}
RECORD = "social-security.contribution-history@1.0"
CAP = 1024 * 1024
FEW = settings(max_examples=8, deadline=None, derandomize=True,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
JSON_CT = {"Content-Type": "application/json"}
SOAP = ('<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        "<soap:Body>{}</soap:Body></soap:Envelope>")
TAX_BODY = ('<c:TaxClearanceQuery xmlns:c="urn:interop-hub:contracts:1">'
            "<c:national_id>19800101-1234</c:national_id><c:tax_year>2025</c:tax_year>"
            "</c:TaxClearanceQuery>")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def region(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Region]:
    settings_ = HubSettings(data=tmp_path_factory.mktemp("hostile") / "hub", log_format="json",
                            max_payload_bytes=CAP, nats_users_refresh_s=0.1)
    async with running_region(settings_) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def _recorded(region: Region, exchange_id: str | None) -> None:
    """The refusal is in the ledger as Received + Rejected."""
    assert exchange_id, "the refusal carries no exchange id"
    events = [type(e).__name__ for e in region.hub.ledger.history(UUID(exchange_id))]
    assert events == ["Received", "Rejected"], events


def _problem(region: Region, response: httpx.Response, *codes: str) -> dict[str, Any]:
    """A 4xx problem details document (RFC 9457 members, code, issues), recorded."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert {"type", "title", "status", "detail", "code", "exchange_id", "issues"} <= set(problem)
    assert problem["status"] == response.status_code
    assert all({"path", "reason", "code"} <= set(i) for i in problem["issues"])
    if codes:
        assert problem["code"] in codes, problem
    _recorded(region, problem["exchange_id"])
    return problem


def _fault(region: Region, response: httpx.Response, *codes: str) -> str:
    """A Client SOAP Fault (HTTP 4xx, or 500 as WS-I asks of Faults), recorded."""
    assert response.status_code in (400, 401, 403, 413, 415, 500), response.status_code
    fault = parse_fault(parse_envelope(response.content).body)
    assert fault.faultcode == "Client", (fault.code, fault.faultstring)
    if codes:
        assert fault.code in codes, fault.code
    _recorded(region, response.headers.get("X-Exchange-Id"))
    return str(fault.code)


async def _still_answers(region: Region, http: httpx.AsyncClient) -> None:
    """A good request right after the hostile one is answered."""
    response = await http.post(f"{region.hub.http_url}/services/{SS}", json=QUERY,
                               headers=auth_headers(region.hub, "north/tax"))
    assert response.status_code == 200, response.text


async def _json(region: Region, http: httpx.AsyncClient, body: bytes,
                **headers: str) -> httpx.Response:
    return await http.post(f"{region.hub.http_url}/services/{SS}", content=body,
                           headers=auth_headers(region.hub, "north/tax", **{**JSON_CT, **headers}))


DEEP = 100_000
JSON_CASES: dict[str, tuple[bytes, str]] = {
    "100k arrays": (b"[" * DEEP + b"]" * DEEP, "json-too-deep"),
    "100k objects": (b'{"a":' * DEEP + b"1" + b"}" * DEEP, "json-too-deep"),
    "deep inside a field": (b'{"national_id": ' + b"[" * 5000 + b"]" * 5000 + b"}",
                            "json-too-deep"),
    "10k-digit number": (b'{"national_id": ' + b"9" * 10_000 + b"}", "json-number-too-long"),
    "10k-digit fraction": (b'{"national_id": 0.' + b"1" * 10_000 + b"}", "json-number-too-long"),
    "1e999999": (b'{"national_id": 1e999999}', "json-non-finite"),
    "NaN": (b'{"national_id": NaN}', "json-non-finite"),
    "Infinity": (b'{"national_id": Infinity}', "json-non-finite"),
    "-Infinity": (b'{"national_id": -Infinity}', "json-non-finite"),
    "duplicate key": (b'{"national_id": "x", "national_id": "19800101-1234", '
                      b'"period_start": "2000-01-01", "period_end": "2026-12-31"}',
                      "json-duplicate-key"),
    "utf-16": (json.dumps(QUERY).encode("utf-16"), "json-not-utf8"),
    "utf-16-le no bom": (json.dumps(QUERY).encode("utf-16-le"), "json-not-utf8"),
    "utf-32": (json.dumps(QUERY).encode("utf-32"), "json-not-utf8"),
    "utf-8 bom": (b"\xef\xbb\xbf" + json.dumps(QUERY).encode(), "json-not-utf8"),
    "latin-1 byte": ('{"national_id": "Åsa"}'.encode("latin-1"), "json-not-utf8"),
    "overlong utf-8": (b'{"national_id": "\xc0\xaf"}', "json-not-utf8"),
    "trailing comma": (json.dumps(QUERY).encode()[:-1] + b",}", "json-invalid"),
    "comment": (b"/* hi */" + json.dumps(QUERY).encode(), "json-invalid"),
    "single quotes": (b"{'national_id': '19800101-1234'}", "json-invalid"),
    "raw NUL in string": (b'{"national_id": "1980\x00"}', "json-invalid"),
    "NUL after document": (json.dumps(QUERY).encode() + b"\x00", "json-invalid"),
    "lone surrogate escape": (b'{"national_id": "\\ud800"}', "json-invalid"),
    "truncated": (json.dumps(QUERY).encode()[:-7], "json-invalid"),
    "empty body": (b"", "json-invalid"),
    "two documents": (json.dumps(QUERY).encode() * 2, "json-invalid"),
    "huge string": (b'{"national_id": "' + b"x" * 70_000 + b'"}', "json-string-too-long"),
    "huge array": (b'{"national_id": [' + b"0," * 10_000 + b"0]}", "json-array-too-large"),
    "huge object": (b"{" + b",".join(b'"k%d": 0' % i for i in range(1001)) + b"}",
                    "json-object-too-large"),
    "over the byte cap": (b" " * (CAP + 1), "payload-too-large"),
    "wrong type": (json.dumps({**QUERY, "national_id": 42}).encode(), "contract-violation"),
}


@pytest.mark.parametrize("case", sorted(JSON_CASES))
async def test_hostile_json_is_refused_and_recorded(
    region: Region, http: httpx.AsyncClient, case: str
) -> None:
    """Each classic JSON attack is a 4xx problem with its json-* code, recorded."""
    body, code = JSON_CASES[case]
    _problem(region, await _json(region, http, body), code)
    await _still_answers(region, http)


CONTENT_TYPES = ["text/plain", "application/xml", "text/xml", "application/x-www-form-urlencoded",
                 "multipart/form-data; boundary=x", "application/json; charset=utf-16",
                 "application/json; charset=iso-8859-1", "text/json", "application/jsonp"]


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
async def test_json_ingress_refuses_other_content_types(
    region: Region, http: httpx.AsyncClient, content_type: str
) -> None:
    """Anything but JSON in UTF-8 is a 415 problem, recorded."""
    response = await _json(region, http, json.dumps(QUERY).encode(),
                           **{"Content-Type": content_type})
    assert response.status_code == 415
    _problem(region, response, "unsupported-media-type")
    await _still_answers(region, http)


@pytest.mark.parametrize(("name", "headers", "codes"), [
    ("no token", {"Authorization": ""}, ("missing-credentials",)),
    ("basic auth", {"Authorization": "Basic dGF4OnNlY3JldA=="}, ("malformed-credentials",)),
    ("bare bearer", {"Authorization": "Bearer"}, ("malformed-credentials", "missing-credentials")),
    ("garbage token", {"Authorization": "Bearer ihk_x_y"}, ("unknown-credential",
                                                            "malformed-credentials")),
    ("8 KB token", {"Authorization": "Bearer " + "A" * 8192}, ("malformed-credentials",
                                                               "unknown-credential")),
    ("token of another shape", {"Authorization": "Bearer ihk_" + "0" * 32 + "_" + "1" * 43},
     ("unknown-credential",)),
    ("client of another department", {"X-Hub-Client": "north/social-security"},
     ("client-mismatch",)),
    ("client path traversal", {"X-Hub-Client": "../../etc/passwd"}, ("client-mismatch",)),
    ("4 KB client", {"X-Hub-Client": "north/" + "t" * 4096}, ("client-mismatch",)),
    ("unknown purpose", {"X-Hub-Purpose": "curiosity"}, ("unknown-purpose",
                                                         "purpose-not-granted")),
    ("4 KB purpose", {"X-Hub-Purpose": "p" * 4096}, ("unknown-purpose", "purpose-not-granted")),
])
async def test_hostile_headers_and_credentials_are_refused(
    region: Region, http: httpx.AsyncClient, name: str, headers: dict[str, str],
    codes: tuple[str, ...],
) -> None:
    """Bad or oversized credentials and identity headers: 401/403 problems, recorded."""
    sent = {k: v for k, v in auth_headers(region.hub, "north/tax", **JSON_CT, **headers).items()}
    if headers.get("Authorization") == "":
        sent.pop("Authorization", None)
    response = await http.post(f"{region.hub.http_url}/services/{SS}", json=QUERY, headers=sent)
    assert response.status_code in (401, 403), (name, response.text)
    _problem(region, response, *codes)
    await _still_answers(region, http)


async def test_unknown_services_and_nul_in_the_path_are_refused(
    region: Region, http: httpx.AsyncClient
) -> None:
    """A stranger's path (even with %00) is a recorded 404, not a new route or a crash."""
    for path in ("north/anything/x", "north/x%00y/z", "north/..%2f..%2fetc/passwd", "a" * 2000):
        response = await http.post(f"{region.hub.http_url}/services/{path}", json=QUERY,
                                   headers=auth_headers(region.hub, "north/tax"))
        _problem(region, response, "unknown-service")
    await _still_answers(region, http)


async def _soap(region: Region, http: httpx.AsyncClient, body: bytes,
                content_type: str = "text/xml; charset=utf-8") -> httpx.Response:
    return await http.post(
        f"{region.hub.http_url}/soap", content=body,
        headers=auth_headers(region.hub, "north/social-security", **{"Content-Type": content_type}))


SOAP_CASES: dict[str, tuple[bytes, str, str]] = {
    "soap 1.2 content type": (SOAP.format(TAX_BODY).encode(), "application/soap+xml",
                              "soap-version-unsupported"),
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
    "soap 1.2 envelope": (SOAP.format(TAX_BODY).replace(
        "http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope")
        .encode(), "text/xml", "malformed-input"),
    "over the byte cap": (SOAP.format("<x>" + "a" * CAP + "</x>").encode(), "text/xml",
                          "payload-too-large"),
    "invalid utf-8": (SOAP.format(TAX_BODY).encode().replace(b"2025", b"20\xff25"), "text/xml",
                      "malformed-input"),
}


@pytest.mark.parametrize("case", sorted(SOAP_CASES))
async def test_hostile_soap_is_a_recorded_client_fault(
    region: Region, http: httpx.AsyncClient, case: str
) -> None:
    """Each SOAP attack is a Client Fault with a stable code, recorded."""
    body, content_type, code = SOAP_CASES[case]
    _fault(region, await _soap(region, http, body, content_type), code)
    await _still_answers(region, http)


async def test_soap12_content_type_is_a_415_fault_saying_soap11(
    region: Region, http: httpx.AsyncClient
) -> None:
    response = await _soap(region, http, SOAP.format(TAX_BODY).encode(), "application/soap+xml")
    assert response.status_code == 415
    assert "SOAP 1.1" in parse_fault(parse_envelope(response.content).body).faultstring


async def _record(region: Region, http: httpx.AsyncClient, body: bytes, contract: str = RECORD,
                  content_type: str = "application/json") -> httpx.Response:
    return await http.post(
        f"{region.hub.http_url}/records/{contract}", content=body,
        headers=auth_headers(region.hub, "north/social-security", **{"Content-Type": content_type}))


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
async def test_hostile_records_are_refused_and_recorded(
    region: Region, http: httpx.AsyncClient, case: str
) -> None:
    """POST /records: the same reader and checks, each refusal recorded (it was not before)."""
    body, content_type, code = RECORD_CASES[case]
    _problem(region, await _record(region, http, body, content_type=content_type), code)
    await _still_answers(region, http)


async def test_records_of_unknown_contracts_are_recorded_404s(
    region: Region, http: httpx.AsyncClient
) -> None:
    for contract in ("nope@1.0", "x" * 500 + "@1.0"):
        response = await _record(region, http, b"{}", contract=contract)
        assert response.status_code == 404
        _problem(region, response, "record-contract-unknown")


@FEW
@given(depth=st.integers(65, 50_000), opener=st.sampled_from([b"[", b'{"a":']),
       where=st.sampled_from(["json", "records"]))
async def test_generated_deep_nesting(
    region: Region, http: httpx.AsyncClient, depth: int, opener: bytes, where: str
) -> None:
    body = opener * depth + b"0" + (b"]" if opener == b"[" else b"}") * depth
    response = await (_json(region, http, body) if where == "json"
                      else _record(region, http, body))
    _problem(region, response, "json-too-deep")


@FEW
@given(digits=st.integers(65, 12_000), sign=st.sampled_from(["", "-"]),
       tail=st.sampled_from(["", ".0", "e7", "E+999999"]))
async def test_generated_long_numbers(
    region: Region, http: httpx.AsyncClient, digits: int, sign: str, tail: str
) -> None:
    body = f'{{"national_id": {sign}{"7" * digits}{tail}}}'.encode()
    _problem(region, await _json(region, http, body), "json-number-too-long")


@FEW
@given(key=st.sampled_from(["national_id", "period_start", "period_end"]),
       value=st.text(max_size=20))
async def test_generated_duplicate_keys(
    region: Region, http: httpx.AsyncClient, key: str, value: str
) -> None:
    members = [f'"{k}": {json.dumps(v)}' for k, v in QUERY.items()]
    members.append(f'"{key}": {json.dumps(value)}')
    _problem(region, await _json(region, http, ("{" + ", ".join(members) + "}").encode()),
             "json-duplicate-key")


@FEW
@given(encoding=st.sampled_from(["utf-16", "utf-16-be", "utf-16-le", "utf-32", "utf-32-be",
                                 "utf-32-le", "utf-8-sig"]),
       national_id=st.text(min_size=1, max_size=12))
async def test_generated_other_encodings(
    region: Region, http: httpx.AsyncClient, encoding: str, national_id: str
) -> None:
    body = json.dumps({**QUERY, "national_id": national_id}, ensure_ascii=False)
    _problem(region, await _json(region, http, body.encode(encoding, "surrogatepass")),
             "json-not-utf8")


@FEW
@given(cut=st.integers(1, 60), text=st.text(max_size=10))
async def test_generated_truncated_bodies(
    region: Region, http: httpx.AsyncClient, cut: int, text: str
) -> None:
    raw = json.dumps({**QUERY, "national_id": text}).encode()
    _problem(region, await _json(region, http, raw[: max(0, len(raw) - cut)]),
             "json-invalid", "json-not-utf8")


@FEW
@given(text=st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Cf", "Mn", "Co",
                                                                    "So", "Zs"]),
                    min_size=1, max_size=30))
async def test_generated_odd_unicode_is_a_contract_refusal(
    region: Region, http: httpx.AsyncClient, text: str
) -> None:
    """Controls, format characters, combining marks, private use: refused by the contract."""
    body = json.dumps({**QUERY, "national_id": text}, ensure_ascii=False).encode()
    _problem(region, await _json(region, http, body), "contract-violation")


@FEW
@given(kind=st.sampled_from(["text", "application", "image", "multipart"]),
       sub=st.from_regex(r"[a-z]{1,12}", fullmatch=True),
       charset=st.sampled_from(["", "; charset=utf-16", "; charset=latin-1", "; charset=ascii"]))
async def test_generated_content_types(
    region: Region, http: httpx.AsyncClient, kind: str, sub: str, charset: str
) -> None:
    content_type = f"{kind}/{sub}{charset}"
    response = await _json(region, http, json.dumps(QUERY).encode(),
                           **{"Content-Type": content_type})
    if response.status_code == 200:  # only application/json in UTF-8 gets here
        assert (kind, sub) == ("application", "json") and charset == ""
        return
    assert response.status_code == 415, (content_type, response.text)
    _problem(region, response, "unsupported-media-type")


async def _nats_department(region: Region, name: str) -> nats.NATS:
    credentials = region.hub.credentials
    assert credentials is not None
    issued = credentials.issue(f"north/{name}", CredentialKind.DEPARTMENT, dt.timedelta(hours=1))
    assert issued.nats_seed is not None
    async with asyncio.timeout(15):
        while True:
            try:
                return await nats.connect(
                    region.hub.nats_url, nkeys_seed_str=issued.nats_seed.decode(),
                    inbox_prefix=inbox_prefix(name), allow_reconnect=False, connect_timeout=5)
            except (nats.errors.Error, OSError):  # the server has not reloaded its users yet
                await asyncio.sleep(0.1)


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
}


async def test_hostile_nats_queries_are_refused_and_recorded(
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
            _recorded(region, answer["exchange_id"])
        good = await nc.request(ingress_subject("north", "tax"), json.dumps(QUERY).encode(),
                                headers={"Hub-Service": SS, "Hub-Purpose": PURPOSE}, timeout=20)
        assert json.loads(good.data)["outcome"] == "responded"
    finally:
        await nc.close()
    await _still_answers(region, http)
