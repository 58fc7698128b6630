"""services.toml's provider auth: secrets only by reference, every refusal names its field.

Also the wire pieces the provider adapters send: the UsernameToken header
(OASIS WSS 1.0 names, digest of nonce, created and password) and SOAP 1.2
Faults decoded to the same errors as SOAP 1.1 Faults.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from pathlib import Path

import pytest
from lxml import etree

from contracts import default_registry
from hub.service_layer.exchanges.routing import dump_services, load_services
from translation import soap12_client as soap12
from translation.errors import ProviderAuthRefused, ProviderConfigError, ProviderFault
from translation.wsse import PASSWORD_DIGEST, WSSE_NS, WSU_NS, UsernameToken

HEAD = """\
[[service]]
id = "north/tax/tax-clearance"
request = "tax.clearance-query@1.0"
response = "tax.clearance@1.0"
operation = "TaxClearance"
adapter = "json-mapping"
endpoint = "https://tax.example:8443"
"""


def _load(tmp_path: Path, extra: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "services.toml"
    path.write_text(HEAD + extra)
    return load_services(path, default_registry())


@pytest.mark.parametrize("extra, field", [
    ('password = "hunter2"\n', "password"),
    ('[service.auth]\nkind = "basic"\nusername = "hub"\npassword = "hunter2"\n', "auth.password"),
    ('[service.tls]\nca = "ca.pem"\npassphrase = "hunter2"\n', "tls.passphrase"),
])
def test_a_clear_password_is_refused_naming_the_field(tmp_path: Path, extra: str,
                                                      field: str) -> None:
    """A field that would hold a password in clear refuses the file, naming the field."""
    (tmp_path / "ca.pem").write_text("x")
    with pytest.raises(ProviderConfigError) as caught:
        _load(tmp_path, extra)
    assert caught.value.field == field
    assert "provider-secret set" in caught.value.message
    assert "hunter2" not in caught.value.message


def test_a_secret_that_is_not_a_reference_is_refused_without_echoing_it(tmp_path: Path) -> None:
    """``secret = "hunter2"`` is a password in the wrong place: refused, the value not shown."""
    with pytest.raises(ProviderConfigError) as caught:
        _load(tmp_path, '[service.auth]\nkind = "basic"\nusername = "hub"\nsecret = "hunter2"\n')
    assert caught.value.field == "auth.secret" and "hunter2" not in caught.value.message


@pytest.mark.parametrize("extra, field", [
    ('[service.tls]\nca = "missing.pem"\n', "tls.ca"),
    ('[service.tls]\nca = "ca.pem"\ncert = "ca.pem"\n', "tls.key"),
    ('[service.tls]\ncafile = "ca.pem"\n', "tls.cafile"),
    ('[service.auth]\nkind = "digest"\nusername = "hub"\nsecret = "provider:x"\n', "auth.kind"),
    ('[service.auth]\nkind = "basic"\nsecret = "provider:x"\n', "auth.username"),
])
def test_configuration_errors_name_the_field(tmp_path: Path, extra: str, field: str) -> None:
    """A missing file, half a client certificate, an unknown field or kind: the field is named."""
    (tmp_path / "ca.pem").write_text("x")
    with pytest.raises(ProviderConfigError) as caught:
        _load(tmp_path, extra)
    assert caught.value.field == field, caught.value.message


def test_auth_is_read_relative_to_the_file_and_dumped_back(tmp_path: Path) -> None:
    """Paths resolve beside services.toml; dump_services writes what load_services reads."""
    (tmp_path / "certs").mkdir()
    for name in ("ca.pem", "hub.pem", "hub-key.pem"):
        (tmp_path / "certs" / name).write_text("x")
    (service,) = _load(tmp_path, """\
[service.tls]
ca = "certs/ca.pem"
cert = "certs/hub.pem"
key = "certs/hub-key.pem"
key_secret = "provider:north/hub-key"
[service.auth]
kind = "basic"
username = "north-hub"
secret = "provider:north/tax/basic"
""")
    assert service.auth is not None and service.auth.tls is not None
    assert service.auth.tls.ca == tmp_path / "certs" / "ca.pem"
    assert service.auth.secret_names() == [("tls.key_secret", "provider:north/hub-key"),
                                           ("auth.secret", "provider:north/tax/basic")]
    again = tmp_path / "again.toml"
    again.write_text(dump_services([service]))
    assert load_services(again, default_registry())[0].auth == service.auth


def test_username_token_carries_a_digest_never_the_password() -> None:
    """PasswordDigest = Base64(SHA-1(nonce ‖ created ‖ password)) in the WSS 1.0 namespaces."""
    nonce, now = b"0123456789abcdef", dt.datetime(2026, 12, 6, 7, 0, tzinfo=dt.UTC)
    header = UsernameToken("north-hub", "s3cret").header(now, nonce)
    text = etree.tostring(header)
    assert b"s3cret" not in text
    token = header.find(f"{{{WSSE_NS}}}UsernameToken")
    password = token.find(f"{{{WSSE_NS}}}Password")
    assert password.get("Type") == PASSWORD_DIGEST
    assert token.findtext(f"{{{WSU_NS}}}Created") == "2026-12-06T07:00:00Z"
    assert base64.b64decode(token.findtext(f"{{{WSSE_NS}}}Nonce")) == nonce
    expected = hashlib.sha1(nonce + b"2026-12-06T07:00:00Z" + b"s3cret").digest()  # noqa: S324
    assert password.text == base64.b64encode(expected).decode()
    assert UsernameToken("u", "p").header().findtext(f".//{{{WSSE_NS}}}Nonce") != \
        UsernameToken("u", "p").header().findtext(f".//{{{WSSE_NS}}}Nonce")


def _fault12(code: str, sub: str = "") -> etree._Element:
    subcode = f"<env:Subcode><env:Value>{sub}</env:Value></env:Subcode>" if sub else ""
    data = (f'<env:Envelope xmlns:env="{soap12.SOAP12_NS}" xmlns:wsse="{WSSE_NS}"><env:Body>'
            f"<env:Fault><env:Code><env:Value>env:{code}</env:Value>{subcode}</env:Code>"
            "<env:Reason><env:Text xml:lang='en'>no such person</env:Text></env:Reason>"
            "</env:Fault></env:Body></env:Envelope>").encode()
    from translation.xml_safety import XmlLimits
    message = soap12.parse_envelope(data, XmlLimits())
    assert message.is_fault
    return message.body


@pytest.mark.parametrize("code, retryable", [("Sender", False), ("Receiver", True),
                                             ("MustUnderstand", False)])
def test_soap12_faults_decode_like_soap11_faults(code: str, retryable: bool) -> None:
    """env:Receiver is 1.1's Server (retryable); the others say the request is wrong."""
    error = soap12.fault_error(_fault12(code), "tax")
    assert type(error) is ProviderFault and error.code == "provider-fault"
    assert error.retryable is retryable
    assert f"env:{code}: no such person" in error.message


def test_a_soap12_security_fault_is_an_auth_refusal() -> None:
    """A wsse:FailedAuthentication subcode is the provider refusing the hub's credentials."""
    error = soap12.fault_error(_fault12("Sender", "wsse:FailedAuthentication"), "ss")
    assert isinstance(error, ProviderAuthRefused) and not error.retryable


def test_a_subscription_takes_the_same_auth_and_refuses_clear_passwords(tmp_path: Path) -> None:
    """[[subscription]] deliveries prove the hub the same way, and dump back to the same."""
    from hub.service_layer.notifications.subscriptions import dump_subscriptions, load_subscriptions
    head = ('[[subscription]]\ndepartment = "north/tax"\n'
            'contract = "social-security.contribution-history@1.0"\n'
            'adapter = "json-mapping"\nendpoint = "https://tax.example"\n')
    path = tmp_path / "services.toml"
    path.write_text(head + '[subscription.auth]\nkind = "basic"\nusername = "hub"\n'
                    'secret = "provider:north/tax/inbox"\n')
    (subscription,) = load_subscriptions(path)
    assert subscription.auth is not None and subscription.auth.auth is not None
    assert subscription.auth.auth.secret == "provider:north/tax/inbox"
    again = tmp_path / "again.toml"
    again.write_text(dump_subscriptions([subscription]))
    assert load_subscriptions(again) == [subscription]
    path.write_text(head + '[subscription.auth]\nkind = "basic"\nusername = "hub"\n'
                    'password = "hunter2"\n')
    with pytest.raises(ProviderConfigError) as caught:
        load_subscriptions(path)
    assert caught.value.field == "auth.password"
