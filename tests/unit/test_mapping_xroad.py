"""``[soap.xroad]`` and ``lenient`` in SOAP mappings: read, checked, and used on every call.

X-Road's example-adapter.wsdl (../shared/external) declares the 4.0 headers on
every operation and binds a message in the wrong letter case: the reference
mapping simulations/mappings/xroad-example.get-random.toml copes with both.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from contracts.xroad_example import RandomNumber, RandomNumberQuery
from hub.entrypoints.http.asgi_server import serve_asgi
from simulations.xroad_example import ENDPOINT_PATH, XRoadExampleBehaviour, create_app
from translation.errors import ProviderResponseInvalid
from translation.mapping import MappingFileError, compile_mapping, load_mapping, load_spec
from translation.mapping.soap_provider import SoapMappingProvider
from translation.provider_http import ProviderHttp
from translation.soap_envelope import build_envelope
from translation.xml_safety import XmlLimits
from translation.xroad_headers import XRoadClientId, XRoadServiceId

MAPPINGS = Path(__file__).resolve().parents[2] / "simulations" / "mappings"
REFERENCE = MAPPINGS / "xroad-example.get-random.toml"
PRODUCER = "http://test.x-road.global/producer"
HEAD = """
[mapping]
service = "xroad-example/random"
request = "xroad-example.random-query@1.0"
response = "xroad-example.random@1.0"
native = "soap"

[soap]
wsdl = "example-adapter.wsdl"
operation = "getRandom"
"""


def _spec_problems(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "m.toml"
    path.write_text(text)
    with pytest.raises(MappingFileError) as caught:
        load_spec(path)
    return {i.path.split(":", 1)[1]: i.reason for i in caught.value.issues}


def _reference_copy(tmp_path: Path, shared_external: Path, *, drop: str = "") -> Path:
    """The reference mapping beside the test, with absolute paths and ``drop`` removed."""
    text = REFERENCE.read_text().replace(drop, "")
    for key, path in (("wsdl", "xroad-example-adapter/example-adapter.wsdl"),
                      ("catalog", "catalog/catalog.xml")):
        text = re.sub(rf'^{key} = "[^"]*"', f'{key} = "{shared_external / path}"', text,
                      flags=re.M)
    copy = tmp_path / "get-random.toml"
    copy.write_text(text)
    return copy


def test_soap_xroad_is_read_into_the_two_identities(tmp_path: Path) -> None:
    """client, provider, service_code and service_version make the headers of each request."""
    path = tmp_path / "m.toml"
    path.write_text(HEAD + """lenient = true
[soap.xroad]
client = "DEV/GOV/1000/interop-hub"
provider = "DEV/COM/1234/TestService"
service_code = "getRandom"
service_version = "v1"
""")
    soap = load_spec(path).soap
    assert soap is not None and soap.lenient and soap.xroad is not None
    assert soap.xroad.client == XRoadClientId("DEV", "GOV", "1000", "interop-hub")
    assert soap.xroad.service == XRoadServiceId("DEV", "COM", "1234", "TestService",
                                                "getRandom", "v1")
    assert soap.xroad.headers("corr-7").id == "corr-7"


def test_soap_xroad_mistakes_and_placeholders_are_named(tmp_path: Path) -> None:
    """A short id, a placeholder, a missing service code and a stray key each name their key."""
    found = _spec_problems(tmp_path, HEAD + """lenient = "yes"
[soap.xroad]
client = "DEV/GOV"
provider = "<X-Road provider INSTANCE/CLASS/CODE/SUBSYSTEM>"
version = "v1"
""")
    assert "is not an X-Road client id" in found["soap.xroad.client"]
    assert "placeholder left by `adapter scaffold`" in found["soap.xroad.provider"]
    assert found["soap.xroad.service_code"] == "is missing"
    assert found["soap.xroad.version"].startswith("unknown key")
    assert found["soap.lenient"] == "must be true or false"


@pytest.mark.usefixtures("shared_external")
def test_the_reference_mapping_is_clean_and_notes_the_bent_reference() -> None:
    """The shipped X-Road example mapping compiles; its lenient resolution is a note."""
    _, report = compile_mapping(REFERENCE)
    assert report.errors == []
    assert [(f.level, f.key, f.code) for f in report.findings] == [
        ("note", "soap.lenient", "case-mismatch")]


def test_check_requires_what_the_wsdl_requires(tmp_path: Path, shared_external: Path) -> None:
    """Without lenient the case slip is an error; without [soap.xroad] the headers are."""
    strict = _reference_copy(tmp_path, shared_external, drop="lenient = true")
    (error,) = compile_mapping(strict)[1].errors
    assert error.code == "dangling-reference"
    assert "lenient = true under [soap]" in error.message
    text = REFERENCE.read_text()
    block = text[text.index("\n[soap.xroad]\n") : text.index("\n[namespaces]\n")]
    headless = _reference_copy(tmp_path, shared_external, drop=block)
    (error,) = compile_mapping(headless)[1].errors
    assert (error.key, error.code) == ("soap.xroad", "unwritten-header")
    assert "xrd:client, xrd:service" in error.message


@contextlib.asynccontextmanager
async def _provider(app: Starlette, mapping: Path) -> AsyncIterator[SoapMappingProvider]:
    """The provider adapter posting to ``app``, served on a loopback port."""
    async with serve_asgi(app, name="provider") as url:
        async with SoapMappingProvider(load_mapping(mapping), f"{url}{ENDPOINT_PATH}",
                                       ProviderHttp(), 5.0, XmlLimits()) as provider:
            yield provider


async def test_requests_carry_the_headers_and_answers_must_echo_the_id(
    tmp_path: Path, shared_external: Path
) -> None:
    """The provider sees the hub as client and xrd:id = correlation id; no echo is refused."""
    mapping = _reference_copy(tmp_path, shared_external)
    behaviour = XRoadExampleBehaviour()
    async with _provider(create_app(behaviour), mapping) as provider:
        answer = await provider.call(RandomNumberQuery(), correlation_id="corr-1")
    assert isinstance(answer, RandomNumber)
    assert (behaviour.clients, behaviour.message_ids) == (["DEV/GOV/1000/interop-hub"], ["corr-1"])

    async def headless(request: Request) -> Response:
        body = etree.fromstring(f'<p:getRandomResponse xmlns:p="{PRODUCER}"><p:data>7</p:data>'
                                "</p:getRandomResponse>")
        return Response(build_envelope(body), media_type="text/xml")

    app = Starlette(routes=[Route(ENDPOINT_PATH, headless, methods=["POST"])])
    async with _provider(app, mapping) as provider:
        with pytest.raises(ProviderResponseInvalid) as caught:
            await provider.call(RandomNumberQuery(), correlation_id="corr-2")
    assert caught.value.issues[0].code == "xroad-id-mismatch"


@pytest.mark.usefixtures("shared_external")
def test_the_reference_mapping_round_trips() -> None:
    """decode(encode(x)) == x for the answer; the query (no fields) encodes to an empty element."""
    mapping = load_mapping(REFERENCE)
    assert len(mapping.request.encode(RandomNumberQuery())) == 0

    @settings(max_examples=200, deadline=None)
    @given(st.integers(min_value=-(2**63), max_value=2**63))
    def round_trip(number: int) -> None:
        answer = RandomNumber(number=number)
        assert mapping.response.decode(mapping.response.encode(answer)) == answer

    round_trip()
