"""Hostile input at every ingress: refused with a stable code, recorded, and the hub carries on.

Each case reaches one region's real hub (here the JSON ingress, its headers and
credentials, and records; the SOAP ingress, records and the NATS ingress in
test_hostile_soap_records_nats; ingest in test_ingest) and must end in a 4xx (or 413, 415)
answered as problem details or a SOAP Fault, recorded as Received + Rejected in
the ledger, and be followed by a good request that the hub still answers. Fixed
cases name the classic attacks; hypothesis varies them (deep nesting, long
numbers, duplicate keys, encodings, content types, Unicode, NUL bytes,
truncation), with few examples each to keep the module quick.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from hypothesis import given
from hypothesis import strategies as st

from tests.integration.hostile_helpers import (
    CAP,
    DEEP,
    FEW,
    JSON_CT,
    QUERY,
    SS,
    hostile_region,
    post_json,
    post_record,
    problem,
    still_answers,
)
from tests.integration.hub_fixtures import Region, auth_headers

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(180)]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def region(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Region]:
    async with hostile_region(tmp_path_factory.mktemp("hostile")) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


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
async def test_hostile_json_is_refused_andrecorded(
    region: Region, http: httpx.AsyncClient, case: str
) -> None:
    """Each classic JSON attack is a 4xx problem with its json-* code, recorded."""
    body, code = JSON_CASES[case]
    problem(region, await post_json(region, http, body), code)
    await still_answers(region, http)


CONTENT_TYPES = ["text/plain", "application/xml", "text/xml", "application/x-www-form-urlencoded",
                 "multipart/form-data; boundary=x", "application/json; charset=utf-16",
                 "application/json; charset=iso-8859-1", "text/json", "application/jsonp"]


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
async def test_json_ingress_refuses_other_content_types(
    region: Region, http: httpx.AsyncClient, content_type: str
) -> None:
    """Anything but JSON in UTF-8 is a 415 problem, recorded."""
    response = await post_json(region, http, json.dumps(QUERY).encode(),
                           **{"Content-Type": content_type})
    assert response.status_code == 415
    problem(region, response, "unsupported-media-type")
    await still_answers(region, http)


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
    ("4 KB correlation id", {"X-Correlation-Id": "c" * 4096}, ("bad-correlation-id",)),
    ("correlation id with spaces", {"X-Correlation-Id": "a b"}, ("bad-correlation-id",)),
])
async def test_hostile_headers_and_credentials_are_refused(
    region: Region, http: httpx.AsyncClient, name: str, headers: dict[str, str],
    codes: tuple[str, ...],
) -> None:
    """Bad or oversized credentials and identity headers: 400/401/403 problems, recorded."""
    sent = {k: v for k, v in auth_headers(region.hub, "north/tax", **JSON_CT, **headers).items()}
    if headers.get("Authorization") == "":
        sent.pop("Authorization", None)
    response = await http.post(f"{region.hub.http_url}/services/{SS}", json=QUERY, headers=sent)
    assert response.status_code in (400, 401, 403), (name, response.text)
    problem(region, response, *codes)
    await still_answers(region, http)


async def test_unknown_services_and_nul_in_the_path_are_refused(
    region: Region, http: httpx.AsyncClient
) -> None:
    """A stranger's path (even with %00) is a recorded 404, not a new route or a crash."""
    for path in ("north/anything/x", "north/x%00y/z", "north/..%2f..%2fetc/passwd", "a" * 2000):
        response = await http.post(f"{region.hub.http_url}/services/{path}", json=QUERY,
                                   headers=auth_headers(region.hub, "north/tax"))
        problem(region, response, "unknown-service")
    await still_answers(region, http)

@FEW
@given(depth=st.integers(65, 50_000), opener=st.sampled_from([b"[", b'{"a":']),
       where=st.sampled_from(["json", "records"]))
async def test_generated_deep_nesting(
    region: Region, http: httpx.AsyncClient, depth: int, opener: bytes, where: str
) -> None:
    body = opener * depth + b"0" + (b"]" if opener == b"[" else b"}") * depth
    response = await (post_json(region, http, body) if where == "json"
                      else post_record(region, http, body))
    problem(region, response, "json-too-deep")


@FEW
@given(digits=st.integers(65, 12_000), sign=st.sampled_from(["", "-"]),
       tail=st.sampled_from(["", ".0", "e7", "E+999999"]))
async def test_generated_long_numbers(
    region: Region, http: httpx.AsyncClient, digits: int, sign: str, tail: str
) -> None:
    body = f'{{"national_id": {sign}{"7" * digits}{tail}}}'.encode()
    problem(region, await post_json(region, http, body), "json-number-too-long")


@FEW
@given(key=st.sampled_from(["national_id", "period_start", "period_end"]),
       value=st.text(max_size=20))
async def test_generated_duplicate_keys(
    region: Region, http: httpx.AsyncClient, key: str, value: str
) -> None:
    members = [f'"{k}": {json.dumps(v)}' for k, v in QUERY.items()]
    members.append(f'"{key}": {json.dumps(value)}')
    problem(region, await post_json(region, http, ("{" + ", ".join(members) + "}").encode()),
             "json-duplicate-key")


@FEW
@given(encoding=st.sampled_from(["utf-16", "utf-16-be", "utf-16-le", "utf-32", "utf-32-be",
                                 "utf-32-le", "utf-8-sig"]),
       national_id=st.text(min_size=1, max_size=12))
async def test_generated_other_encodings(
    region: Region, http: httpx.AsyncClient, encoding: str, national_id: str
) -> None:
    body = json.dumps({**QUERY, "national_id": national_id}, ensure_ascii=False)
    problem(region, await post_json(region, http, body.encode(encoding, "surrogatepass")),
             "json-not-utf8")


@FEW
@given(cut=st.integers(1, 60), text=st.text(max_size=10))
async def test_generated_truncated_bodies(
    region: Region, http: httpx.AsyncClient, cut: int, text: str
) -> None:
    raw = json.dumps({**QUERY, "national_id": text}).encode()
    problem(region, await post_json(region, http, raw[: max(0, len(raw) - cut)]),
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
    problem(region, await post_json(region, http, body), "contract-violation")


@FEW
@given(kind=st.sampled_from(["text", "application", "image", "multipart"]),
       sub=st.from_regex(r"[a-z]{1,12}", fullmatch=True),
       charset=st.sampled_from(["", "; charset=utf-16", "; charset=latin-1", "; charset=ascii"]))
async def test_generated_content_types(
    region: Region, http: httpx.AsyncClient, kind: str, sub: str, charset: str
) -> None:
    content_type = f"{kind}/{sub}{charset}"
    response = await post_json(region, http, json.dumps(QUERY).encode(),
                           **{"Content-Type": content_type})
    if response.status_code == 200:  # only application/json in UTF-8 gets here
        assert (kind, sub) == ("application", "json") and charset == ""
        return
    assert response.status_code == 415, (content_type, response.text)
    problem(region, response, "unsupported-media-type")


