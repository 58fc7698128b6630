"""HUB_CASE_WEBHOOKS: each portal's URL and secret; a bad entry is named, its secret never."""

from __future__ import annotations

import pytest

from hub.adapters.webhooks import signature
from hub.bootstrap.cases import webhooks
from hub.service_layer.cases.notifying import Webhook
from hub.settings import SettingsInvalidError


def test_each_portal_gets_its_url_and_secret() -> None:
    assert webhooks({"north/portal": {"url": "https://portal.example/h", "secret": "s"}}) == {
        "north/portal": Webhook("https://portal.example/h", "s")}


@pytest.mark.parametrize("hook", [
    {"url": "ftp://portal.example/h", "secret": "s3cr3t-value"},
    {"url": "https://portal.example/h", "secret": ""},
    {"url": "https://portal.example/h", "secret": "s3cr3t-value", "secrt": "x"},
])
def test_a_bad_entry_names_the_department_not_the_secret(hook: dict[str, str]) -> None:
    with pytest.raises(SettingsInvalidError) as raised:
        webhooks({"north/portal": hook})
    assert "HUB_CASE_WEBHOOKS: north/portal" in raised.value.message
    assert "s3cr3t-value" not in raised.value.message


def test_the_signature_covers_the_timestamp_and_the_body() -> None:
    one = signature("k", "1700000000", b"{}")
    assert one.startswith("sha256=") and len(one) == 7 + 64
    assert one != signature("k", "1700000001", b"{}")
    assert one != signature("k", "1700000000", b"{ }")
    assert one != signature("k2", "1700000000", b"{}")
