"""Which Content-Type each ingress reads; anything else is a 415 with a stable code."""

from __future__ import annotations

import pytest

from hub.entrypoints.media_types import (
    SoapVersionUnsupported,
    UnsupportedMediaType,
    require_json,
    require_soap11,
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
    require_soap11(value)


def test_soap12_is_refused_with_its_own_code() -> None:
    with pytest.raises(SoapVersionUnsupported) as caught:
        require_soap11('application/soap+xml; charset=utf-8; action="urn:x"')
    assert caught.value.code == "soap-version-unsupported" and "SOAP 1.1" in caught.value.message


@pytest.mark.parametrize("value", ["application/json", "text/plain", "application/xml"])
def test_non_soap_types_are_refused(value: str) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        require_soap11(value)
    assert caught.value.code == "unsupported-media-type"
