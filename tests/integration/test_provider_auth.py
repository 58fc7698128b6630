"""The hub proves who it is to providers that demand it, end to end through a running hub.

Each emulated provider (:mod:`tests.integration.provider_guard`) sits on loopback
in front of an emulated department and demands one thing: TLS with a certificate
from a CA the hub pins, a client certificate, HTTP Basic, a WS-Security
UsernameToken (digest, nonce and age checked), or SOAP 1.2. Secrets are sealed
with the production path (the keyring of the hub's data folder) before the hub
starts. The right credentials get an answer through the hub; wrong or missing
ones end as a recorded DeliveryFailed with their own code, on the first attempt.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from contracts import default_registry
from hub.adapters.crypto.kek_rotation import rotate_kek
from hub.adapters.crypto.keyring import open_keyring
from hub.adapters.providers.auth_config import AuthConfig, ProviderAuthConfig, TlsConfig
from hub.adapters.providers.secrets import ProviderSecrets
from hub.domain.exchange import Status
from hub.entrypoints.http.asgi_server import serve_asgi
from hub.entrypoints.serve import Hub, run_hub
from hub.service_layer.exchanges.routing import ServiceDefinition, load_services
from hub.settings import HubSettings
from simulations.departments import CASE_PURPOSE as PURPOSE
from simulations.departments import MAPPINGS, DepartmentEndpoints, demo_rights, region_services
from simulations.social_security_bureau import BureauBehaviour
from simulations.social_security_bureau import create_app as social_security_app
from simulations.tax_bureau import TaxBehaviour
from simulations.tax_bureau import create_app as tax_app
from tests.integration.hub_fixtures import auth_headers, grant_all
from tests.integration.provider_guard import (
    KEY_PASSPHRASE,
    Demand,
    Pki,
    guarded,
    make_pki,
    server_context,
)
from translation.errors import ProviderConfigError

SS = "north/social-security/contribution-history"
TAX = "north/tax/tax-clearance"
SS_QUERY = {"national_id": "19800101-1234", "period_start": "2000-01-01",
            "period_end": "2026-12-31"}
TAX_QUERY = {"national_id": "19800101-1234", "tax_year": 2025}
BASIC = "provider:north/tax/basic"
TOKEN = "provider:north/social-security/wsse"
KEY = "provider:north/hub-client-key"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@contextlib.asynccontextmanager
async def departments() -> AsyncIterator[tuple[str, str]]:
    """The two emulated departments on plain loopback HTTP: (social security, tax) base URLs."""
    async with serve_asgi(social_security_app(BureauBehaviour())) as ss, \
            serve_asgi(tax_app(TaxBehaviour())) as tax:
        yield ss, tax


def seal(settings: HubSettings, **secrets: str) -> None:
    """Store provider secrets the way ``interop-hub provider-secret set`` does."""
    keyring = open_keyring(settings)
    try:
        for name, value in secrets.items():
            ProviderSecrets(keyring).store(name, value)
    finally:
        keyring.close()


def service(settings: HubSettings, which: str, endpoint: str,
            auth: ProviderAuthConfig | None, **changes: object) -> ServiceDefinition:
    """One demo service pointed at ``endpoint`` (a guard) with ``auth``."""
    services = region_services(settings.region, DepartmentEndpoints(endpoint, endpoint))
    chosen = next(s for s in services if str(s.id) == which)
    return dataclasses.replace(chosen, endpoint=endpoint, auth=auth, **changes)


@contextlib.asynccontextmanager
async def hub_with(settings: HubSettings, definition: ServiceDefinition) -> AsyncIterator[Hub]:
    async with run_hub(settings, [definition]) as hub:
        await grant_all(hub, [g for g in demo_rights(settings.region)
                              if g[1] == str(definition.id)])
        yield hub


async def query(hub: Hub, which: str) -> httpx.Response:
    client, body = ("north/tax", SS_QUERY) if which == SS else ("north/social-security", TAX_QUERY)
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(f"{hub.http_url}/services/{which}", content=json.dumps(body),
                               headers={**auth_headers(hub, client),
                                        "Content-Type": "application/json"})


def failures(hub: Hub, response: httpx.Response) -> list[tuple[str, bool]]:
    """(code, retryable) of each DeliveryFailed of the answered exchange."""
    exchange = UUID(response.json()["exchange_id"])
    return [(e.code, e.retryable) for e in hub.ledger.history(exchange)
            if type(e).__name__ == "DeliveryFailed"]


def answered(hub: Hub, response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert hub.ledger.get(UUID(response.headers["X-Exchange-Id"])).status in (
        Status.RESPONDED, Status.COMPLETED)


# ------------------------------------------------------------------ TLS
async def test_pinned_ca_and_client_certificate_with_an_encrypted_key(
        hub_settings: HubSettings, pki: Pki) -> None:
    """A provider demanding mutual TLS answers a hub that pins its CA and shows its certificate."""
    seal(hub_settings, **{KEY: KEY_PASSPHRASE.decode()})
    tls = TlsConfig(ca=pki.ca, cert=pki.client_cert, key=pki.client_key, key_secret=KEY)
    async with departments() as (_, tax), \
            guarded(tax, Demand(), server_context(pki, client_ca=pki.client_ca)) as (url, guard):
        async with hub_with(hub_settings, service(hub_settings, TAX, url,
                                                  ProviderAuthConfig(tls=tls))) as hub:
            answered(hub, await query(hub, TAX))
    assert guard.client_subjects == ["north-hub"]


async def test_a_wrong_ca_fails_the_handshake_once_with_a_clear_code(
        hub_settings: HubSettings, pki: Pki) -> None:
    """A provider whose certificate the pinned CA did not issue: provider-tls-failed, no retry."""
    tls = TlsConfig(ca=pki.other_ca)
    async with departments() as (_, tax), \
            guarded(tax, Demand(), server_context(pki)) as (url, guard):
        async with hub_with(hub_settings, service(hub_settings, TAX, url,
                                                  ProviderAuthConfig(tls=tls))) as hub:
            response = await query(hub, TAX)
            assert response.status_code == 502, response.text
            assert response.json()["code"] == "provider-tls-failed"
            assert "certificate verify failed" in response.json()["detail"]
            assert failures(hub, response) == [("provider-tls-failed", False)]
    assert guard.passed == 0


async def test_a_certificate_for_another_host_fails_the_handshake(
        hub_settings: HubSettings, pki: Pki) -> None:
    """The pinned CA issued it, but not for 127.0.0.1: the host name is checked, no retry."""
    async with departments() as (_, tax), \
            guarded(tax, Demand(), server_context(pki, other_host=True)) as (url, guard):
        async with hub_with(hub_settings, service(hub_settings, TAX, url, ProviderAuthConfig(
                tls=TlsConfig(ca=pki.ca)))) as hub:
            response = await query(hub, TAX)
            assert failures(hub, response) == [("provider-tls-failed", False)]
            assert "127.0.0.1" in response.json()["detail"]
    assert guard.passed == 0


async def test_services_toml_with_tls_and_basic_reaches_the_provider(
        hub_settings: HubSettings, pki: Pki, tmp_path: Path) -> None:
    """The whole path from the file: relative CA path, a secret by reference, an answer."""
    seal(hub_settings, **{BASIC: "tax-password"})
    folder = tmp_path / "conf"
    (folder / "certs").mkdir(parents=True)
    shutil.copy(pki.ca, folder / "certs" / "tax-ca.pem")
    demand = Demand(basic=("north-hub", "tax-password"))
    async with departments() as (_, tax), guarded(tax, demand, server_context(pki)) as (url, g):
        (folder / "services.toml").write_text(f"""\
[[service]]
id = "{TAX}"
request = "tax.clearance-query@1.0"
response = "tax.clearance@1.0"
operation = "TaxClearance"
adapter = "json-mapping"
mapping = "{MAPPINGS / 'tax.tax-clearance.toml'}"
endpoint = "{url}"

[[service.purpose]]
name = "{PURPOSE}"
legal_basis = "test"
fields = ["national_id", "tax_year", "status"]

[service.tls]
ca = "certs/tax-ca.pem"

[service.auth]
kind = "basic"
username = "north-hub"
secret = "{BASIC}"
""")
        (definition,) = load_services(folder / "services.toml", default_registry())
        async with run_hub(hub_settings, [definition]) as hub:
            await grant_all(hub, [("north/social-security", TAX, (PURPOSE,))])
            answered(hub, await query(hub, TAX))
    assert g.passed == 1 and g.refused == []


async def test_a_missing_client_certificate_is_refused_without_retrying_forever(
        hub_settings: HubSettings, pki: Pki) -> None:
    """A provider requiring a client certificate, a hub showing none: a recorded failure."""
    settings = hub_settings.model_copy(update={"max_deliver": 3})
    async with departments() as (_, tax), \
            guarded(tax, Demand(), server_context(pki, client_ca=pki.client_ca)) as (url, guard):
        async with hub_with(settings, service(settings, TAX, url, ProviderAuthConfig(
                tls=TlsConfig(ca=pki.ca)))) as hub:
            response = await query(hub, TAX)
            assert response.status_code == 502, response.text
            # Under TLS 1.3 the provider refuses the missing certificate after the handshake,
            # by closing the connection: the client sees a disconnect, not a TLS error, so
            # it is retried as unavailability; max_deliver bounds it.
            assert response.json()["outcome"] == "dead-lettered"
            assert failures(hub, response) == [("provider-unavailable", True)] * 3
    assert guard.passed == 0


# ------------------------------------------------------------------ Basic
@pytest.mark.parametrize("password, ok", [("tax-password", True), ("wrong", False)],
                         ids=["right", "wrong"])
async def test_basic_over_tls(hub_settings: HubSettings, pki: Pki, password: str,
                              ok: bool) -> None:
    """Basic with the sealed password answers; a wrong one is provider-auth-refused, once."""
    seal(hub_settings, **{BASIC: password})
    auth = ProviderAuthConfig(tls=TlsConfig(ca=pki.ca),
                              auth=AuthConfig("basic", "north-hub", BASIC))
    demand = Demand(basic=("north-hub", "tax-password"))
    async with departments() as (_, tax), guarded(tax, demand, server_context(pki)) as (url, g):
        async with hub_with(hub_settings, service(hub_settings, TAX, url, auth)) as hub:
            response = await query(hub, TAX)
            if ok:
                answered(hub, response)
            else:
                assert response.status_code == 502, response.text
                assert response.json()["code"] == "provider-auth-refused"
                assert failures(hub, response) == [("provider-auth-refused", False)]
    assert g.refused == ([] if ok else ["wrong Basic credentials"])


async def test_missing_basic_credentials_are_refused_by_the_provider(
        hub_settings: HubSettings) -> None:
    """A hub configured with no credentials for a Basic provider: provider-auth-refused."""
    async with departments() as (_, tax), \
            guarded(tax, Demand(basic=("north-hub", "x"))) as (url, guard):
        async with hub_with(hub_settings, service(hub_settings, TAX, url, None)) as hub:
            response = await query(hub, TAX)
            assert failures(hub, response) == [("provider-auth-refused", False)]
    assert guard.refused == ["no Authorization header"]


# ------------------------------------------------------------------ WS-Security
@pytest.mark.parametrize("password, ok", [("wsse-password", True), ("wrong", False)],
                         ids=["right", "wrong"])
async def test_username_token_digest(hub_settings: HubSettings, password: str, ok: bool) -> None:
    """UsernameToken with a fresh nonce per call; the provider checks digest, nonce and age."""
    seal(hub_settings, **{TOKEN: password})
    auth = ProviderAuthConfig(auth=AuthConfig("username-token", "north-hub", TOKEN))
    demand = Demand(username_token=("north-hub", "wsse-password"))
    async with departments() as (ss, _), guarded(ss, demand) as (url, guard):
        definition = service(hub_settings, SS, f"{url}/ws/insurance", auth)
        async with hub_with(hub_settings, definition) as hub:
            first, second = await query(hub, SS), await query(hub, SS)
            for response in (first, second):
                if ok:
                    answered(hub, response)
                else:
                    assert failures(hub, response) == [("provider-auth-refused", False)]
    assert guard.refused == ([] if ok else ["wrong password digest"] * 2)
    assert len(guard.nonces) == (2 if ok else 0)


# ------------------------------------------------------------------ SOAP 1.2
def soap12_mapping(folder: Path) -> Path:
    """The social-security mapping over a copy of its WSDL bound with the soap12 binding."""
    wsdl = (MAPPINGS.parent / "social_security_bureau" / "insurance.wsdl").read_text()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "insurance12.wsdl").write_text(wsdl.replace(
        "http://schemas.xmlsoap.org/wsdl/soap/", "http://schemas.xmlsoap.org/wsdl/soap12/"))
    mapping = (MAPPINGS / "social-security.contribution-history.toml").read_text()
    target = folder / "social-security.toml"
    target.write_text(mapping.replace('wsdl = "../social_security_bureau/insurance.wsdl"',
                                      'wsdl = "insurance12.wsdl"'))
    return target


async def test_soap12_provider_answers_and_its_faults_decode(
        hub_settings: HubSettings, tmp_path: Path) -> None:
    """A soap12-bound port is called in SOAP 1.2 and answers; a 1.2 Fault with a WS-Security
    subcode (the provider now demands a token) is a recorded, non-retried auth refusal."""
    mapping = soap12_mapping(tmp_path / "soap12")
    async with departments() as (ss, _), guarded(ss, Demand(soap12=True)) as (url, guard):
        definition = service(hub_settings, SS, f"{url}/ws/insurance", None,
                             mapping=str(mapping))
        async with hub_with(hub_settings, definition) as hub:
            answered(hub, await query(hub, SS))
            guard.demand.username_token = ("someone", "else")  # now every call faults
            refused = await query(hub, SS)
            assert failures(hub, refused) == [("provider-auth-refused", False)]
    assert guard.passed == 1 and guard.refused == ["no wsse:UsernameToken"]


# ------------------------------------------------------------------ start-up refusals
async def test_an_unknown_secret_refuses_to_start_naming_the_field(
        hub_settings: HubSettings, pki: Pki) -> None:
    """No secret stored under the name the service gives: the hub does not start."""
    auth = ProviderAuthConfig(auth=AuthConfig("basic", "north-hub", "provider:never/stored"))
    with pytest.raises(ProviderConfigError) as caught:
        async with run_hub(hub_settings, [service(hub_settings, TAX, "https://127.0.0.1:9",
                                                  auth)]):
            pass
    assert caught.value.field == "auth.secret"
    assert "interop-hub provider-secret set provider:never/stored" in caught.value.message


async def test_a_wrong_key_passphrase_refuses_to_start(hub_settings: HubSettings,
                                                       pki: Pki) -> None:
    """The client key does not open with the sealed passphrase: refused, naming tls.key."""
    seal(hub_settings, **{KEY: "not the passphrase"})
    tls = TlsConfig(ca=pki.ca, cert=pki.client_cert, key=pki.client_key, key_secret=KEY)
    with pytest.raises(ProviderConfigError) as caught:
        async with run_hub(hub_settings, [service(hub_settings, TAX, "https://127.0.0.1:9",
                                                  ProviderAuthConfig(tls=tls))]):
            pass
    assert caught.value.field == "tls.key"
    assert caught.value.message.startswith(f"service {TAX}: tls.key: ")


# ------------------------------------------------------------------ the command
def test_provider_secret_set_seals_the_value_read_from_stdin(hub_settings: HubSettings) -> None:
    """``interop-hub provider-secret set NAME`` reads stdin and stores the value KEK-wrapped."""
    command = [str(Path(sys.executable).parent / "interop-hub"), "provider-secret", "set",
               BASIC, "--data", str(hub_settings.data)]
    done = subprocess.run(command, input="tax-password\n", capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "tax-password" not in done.stdout + done.stderr
    keyring = open_keyring(hub_settings)
    try:
        assert ProviderSecrets(keyring).open(BASIC, field="auth.secret", where="t") == \
            "tax-password"
    finally:
        keyring.close()
    for stored in hub_settings.data.rglob("*"):
        assert not stored.is_file() or b"tax-password" not in stored.read_bytes()
    refused = subprocess.run([*command[:3], "hunter2", *command[4:]], input="x",
                             capture_output=True, text=True, timeout=60, check=False)
    assert refused.returncode == 2 and "hunter2" not in refused.stdout + refused.stderr


def test_a_kek_rotation_rewraps_provider_secrets(hub_settings: HubSettings,
                                                 tmp_path: Path) -> None:
    """Provider secrets are sealed like every other secret: after rotate-kek they still open."""
    seal(hub_settings, **{BASIC: "tax-password"})
    new_kek = tmp_path / "new-kek"
    new_kek.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    new_kek.chmod(0o600)
    rotate_kek(hub_settings, new_kek)
    keyring = open_keyring(hub_settings)
    try:
        assert ProviderSecrets(keyring).open(BASIC, field="auth.secret", where="t") == \
            "tax-password"
    finally:
        keyring.close()
