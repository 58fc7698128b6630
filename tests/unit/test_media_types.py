"""Which Content-Type each ingress reads; anything else is a 415 with a stable code."""

from __future__ import annotations

import pytest

from hub.entrypoints.http.media_types import (
    SoapVersion,
    UnsupportedMediaType,
    require_json,
    soap_version,
)


@pytest.mark.parametrize("value", [
    None, "", "application/json", "Application/JSON", "application/json; charset=utf-8",
    'application/json;charset="UTF-8"', "application/problem+json", "application/vnd.x+json",
])
def test_json_types_are_read(value: str | None) -> None:
    require_json(value)


@pytest.mark.parametrize("value", [
    "text/plain", "text/xml", "application/xml", "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x", "application/json; charset=utf-16",
    "application/json; charset=latin-1", "application/jsonx", "json", "text/json",
])
def test_other_types_are_refused(value: str) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        require_json(value)
    assert caught.value.status == 415 and caught.value.issues[0].path == "header:Content-Type"


@pytest.mark.parametrize("value", [None, "text/xml", "text/xml; charset=utf-8", "TEXT/XML"])
def test_soap11_types_are_read(value: str | None) -> None:
    assert soap_version(value) == SoapVersion("1.1")


def test_soap12_is_read_with_its_action_as_sent() -> None:
    """application/soap+xml is SOAP 1.2; its action parameter keeps its case."""
    value = 'application/soap+xml; charset=utf-8; action="urn:Tax/Clearance"'
    assert soap_version(value) == SoapVersion("1.2", "urn:Tax/Clearance")


@pytest.mark.parametrize("value", ["application/json", "text/plain", "application/xml"])
def test_non_soap_types_are_refused(value: str) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        soap_version(value)
    assert caught.value.code == "unsupported-media-type"
