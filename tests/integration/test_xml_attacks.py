"""The classic XML attacks, sent to a running hub's SOAP endpoint: each refused and recorded.

Every attack gets a soap:Client fault whose detail carries a specific issue code,
is recorded as Received + Rejected, fetches nothing (a loopback listener that
the attacks point at sees no connection) and reads nothing (a canary file's
content never comes back); a good request afterwards still completes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import httpx
import pytest
import pytest_asyncio

from hub.settings import HubSettings
from tests.integration.hub_fixtures import Region, auth_headers, completed, running_region
from tests.loopback_listener import Listener, loopback_listener
from translation.soap_envelope import parse_envelope, parse_fault

pytestmark = pytest.mark.asyncio(loop_scope="module")

CAP = 1024 * 1024  # a small ingress cap keeps the oversize case quick
CANARY = "canary-5e1d7b-file-content-must-not-leak"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
GOOD_BODY = (
    '<c:TaxClearanceQuery xmlns:c="urn:interop-hub:contracts:1">'
    "<c:national_id>19800101-1234</c:national_id><c:tax_year>2025</c:tax_year>"
    "</c:TaxClearanceQuery>"
)


def _envelope(body: str, prolog: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<soap:Envelope xmlns:soap="{SOAP}">'
        f"<soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


@dataclass
class Target:
    """The running region, the listener attacks point at, and the canary file."""

    region: Region
    listener: Listener
    canary: Path


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    with loopback_listener() as spy:
        yield spy


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def target(
    tmp_path_factory: pytest.TempPathFactory, listener: Listener
) -> AsyncIterator[Target]:
    """One hub for the whole corpus (an ingress cap of 1 MiB), started once."""
    folder = tmp_path_factory.mktemp("attacks")
    canary = folder / "secret.txt"
    canary.write_text(CANARY)
    settings = HubSettings(
        data=folder / "hub", max_payload_bytes=CAP, reply_timeout_s=20, log_format="json"
    )
    async with running_region(settings) as region:
        yield Target(region, listener, canary)


def _attacks(listener_url: str, canary: Path) -> dict[str, bytes]:
    lol = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    return {
        "billion-laughs": _envelope(
            "&lol9;", f'<!DOCTYPE soap:Envelope [<!ENTITY lol0 "lol">{lol}]>'
        ),
        "quadratic-blowup": _envelope(
            "<x>" + "&a;" * 5000 + "</x>",
            f'<!DOCTYPE soap:Envelope [<!ENTITY a "{"a" * 50_000}">]>',
        ),
        "file-xxe": _envelope(
            "<x>&x;</x>", f'<!DOCTYPE soap:Envelope [<!ENTITY x SYSTEM "{canary.as_uri()}">]>'
        ),
        "http-xxe": _envelope(
            "<x>&x;</x>", f'<!DOCTYPE soap:Envelope [<!ENTITY x SYSTEM "{listener_url}/xxe">]>'
        ),
        "external-dtd": _envelope(
            GOOD_BODY, f'<!DOCTYPE soap:Envelope SYSTEM "{listener_url}/a.dtd">'
        ),
        "parameter-entities": _envelope(
            "<x/>",
            f'<!DOCTYPE soap:Envelope [<!ENTITY % p SYSTEM "{listener_url}/p.dtd"> %p;]>',
        ),
    }


# attack -> the issue code its fault must carry
EXPECTED = {
    "billion-laughs": "dtd-forbidden",
    "quadratic-blowup": "dtd-forbidden",
    "file-xxe": "dtd-forbidden",
    "http-xxe": "dtd-forbidden",
    "external-dtd": "dtd-forbidden",
    "parameter-entities": "dtd-forbidden",
    "remote-schema-location": "schema-location-forbidden",
    "remote-no-namespace-schema-location": "schema-location-forbidden",
    "deep-nesting": "too-deep",
    "invalid-utf8": "invalid-encoding",
}


def _payload(name: str, target: Target) -> bytes:
    url = target.listener.base_url
    attacks = _attacks(url, target.canary)
    if name in attacks:
        return attacks[name]
    if name == "remote-schema-location":
        return _envelope(
            GOOD_BODY.replace(
                'xmlns:c="urn:interop-hub:contracts:1"',
                'xmlns:c="urn:interop-hub:contracts:1" '
                'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                f'xsi:schemaLocation="urn:interop-hub:contracts:1 {url}/evil.xsd"',
            )
        )
    if name == "remote-no-namespace-schema-location":
        return _envelope(
            f'<x xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'xsi:noNamespaceSchemaLocation="{url}/evil.xsd"/>'
        )
    if name == "deep-nesting":
        return _envelope("<a>" * 100_000 + "</a>" * 100_000)
    assert name == "invalid-utf8"
    return _envelope(GOOD_BODY).replace(b"19800101-1234", b"1980\xff\xfe0101")


async def _post(
    target: Target, content: bytes | AsyncIterator[bytes], **headers: str
) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(
            f"{target.region.hub.http_url}/soap",
            content=content,
            headers={
                "Content-Type": "text/xml; charset=utf-8",
                **auth_headers(target.region.hub, "north/social-security"),
                **headers,
            },
        )


def _rejected(target: Target, response: httpx.Response) -> list[str]:
    history = target.region.hub.ledger.history(UUID(response.headers["X-Exchange-Id"]))
    return [type(event).__name__ for event in history]


@pytest.mark.parametrize("attack", sorted(EXPECTED))
async def test_attack_is_refused_with_a_specific_code_and_recorded(
    target: Target, attack: str
) -> None:
    """Each attack: a soap:Client fault naming its specific code, Received + Rejected recorded."""
    response = await _post(target, _payload(attack, target))
    assert response.status_code == 500, response.text
    fault = parse_fault(parse_envelope(response.content).body)
    assert fault.faultcode == "Client"
    assert fault.code == "malformed-input"
    assert [issue.code for issue in fault.issues] == [EXPECTED[attack]]
    assert CANARY not in response.text
    assert _rejected(target, response) == ["Received", "Rejected"]
    assert target.listener.connections == []


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_oversize_is_413_before_parsing(target: Target, declared: bool) -> None:
    """Over the cap (declared or streamed): HTTP 413 with a payload-too-large SOAP Fault."""
    body = _envelope("<x>" + "y" * CAP + "</x>")

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: sent chunked
        yield body[:CAP]
        yield body[CAP:]

    response = await _post(target, body if declared else chunks())
    assert response.status_code == 413
    fault = parse_fault(parse_envelope(response.content).body)
    assert (fault.faultcode, fault.code) == ("Client", "payload-too-large")
    assert [issue.code for issue in fault.issues] == ["payload-too-large"]
    assert _rejected(target, response) == ["Received", "Rejected"]


async def test_a_good_request_right_after_the_attacks_completes(target: Target) -> None:
    """After an attack, the next good request is answered and completes in the ledger."""
    await _post(target, _payload("billion-laughs", target))
    response = await _post(target, _envelope(GOOD_BODY))
    assert response.status_code == 200, response.text
    await completed(target.region.hub, response.headers["X-Exchange-Id"])
    assert _rejected(target, response)[-1] == "Completed"
    assert target.listener.connections == []
    assert target.region.tax.calls >= 1
