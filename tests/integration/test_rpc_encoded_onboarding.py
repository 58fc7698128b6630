"""Onboarding an rpc/encoded department end to end: scaffold → fill → check → live queries.

The emulated Pension Fund (:mod:`simulations.rpc_encoded_bureau`) speaks SOAP 1.1
rpc/encoded as Axis 1 did: typed parts, a ``soapenc:Array`` of structs, answers
made of ``multiRef`` elements reached by ``href``. Its WSDL is scaffolded with
the real console script in strict mode (the SOAP encoding schema resolves
through the hub's standard catalog entry), the skeleton filled the way an
integrator fills it, ``adapter check`` accepts it, and a hub serving it answers
JSON queries with the periods of the encoded array, both with multiRef answers
and with values written in place.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from lxml import etree

from contracts import default_registry
from hub.entrypoints.http.asgi_server import serve_asgi
from hub.entrypoints.serve import run_hub
from hub.service_layer.exchanges.routing import load_services
from hub.settings import HubSettings
from simulations.rpc_encoded_bureau import ENDPOINT_PATH, PensionFundBehaviour, create_app
from tests.integration.hub_fixtures import auth_headers, completed, grant

ROOT = Path(__file__).resolve().parents[2]
INTEROP_HUB = Path(sys.executable).parent / "interop-hub"
WSDL = ROOT / "simulations" / "rpc_encoded_bureau" / "pensions.wsdl"
SKELETON = "ContributionRegisterService.ContributionRegister.getContributions.toml"
SERVICE = "north/pension-fund/contribution-history"
PURPOSE = "pension-check"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
ENC = "http://schemas.xmlsoap.org/soap/encoding/"
# What the integrator writes over the scaffold's placeholders (each occurs exactly once).
FILLS = (
    ('service = "<department/service>"', 'service = "pension-fund/contribution-history"'),
    ('request = "<request contract name@MAJOR.MINOR>"',
     'request = "social-security.contribution-history-query@1.0"'),
    ('response = "<response contract name@MAJOR.MINOR>"',
     'response = "social-security.contribution-history@1.0"'),
    ('# contract_field = "persNo"', 'national_id = "persNo"'),
    ('# contract_field = "fromDate"', 'period_start = "fromDate"'),
    ('# contract_field = "toDate"', 'period_end = "toDate"'),
    ('# contract_field = "getContributionsReturn/persNo"',
     '"person.national_id" = "getContributionsReturn/persNo"'),
    ('# contract_field = "getContributionsReturn/surname"',
     '"person.family_name" = "getContributionsReturn/surname"'),
    ('# contract_field = "getContributionsReturn/forenames"',
     '"person.given_names" = "getContributionsReturn/forenames"'),
    ('# contract_field = "getContributionsReturn/birthDate"',
     '"person.date_of_birth" = "getContributionsReturn/birthDate"'),
    ('# contract_field = "getContributionsReturn/asOf"',
     'as_of = "getContributionsReturn/asOf"'),
    ('field = "<contract list field>"', 'field = "periods"'),
    ('# contract_field = "employerNo"', 'employer_id = "employerNo"'),
    ('# contract_field = "employerName"', 'employer_name = "employerName"'),
    ('# contract_field = "begin"', 'start = "begin"'),
    ('# contract_field = "end"', 'end = "end"'),
    ('# contract_field = "baseCents"', 'contribution_base = { path = "baseCents", scale = 2 }'),
    ('# contract_field = "currency"', 'currency = "currency"'),
)


def fill(skeleton: str) -> str:
    """The getContributions skeleton filled in: placeholders replaced, needed lines uncommented."""
    for placeholder, value in FILLS:
        assert skeleton.count(placeholder) == 1, placeholder
        skeleton = skeleton.replace(placeholder, value)
    return skeleton


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(INTEROP_HUB), *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)


def _scaffold_fill_check(out: Path) -> Path:
    scaffold = _cli("adapter", "scaffold", "--wsdl", WSDL, "--out", out)
    assert scaffold.returncode == 0, scaffold.stderr
    assert "soap-encoding.xsd (for http://schemas.xmlsoap.org/soap/encoding/)" in scaffold.stdout
    assert "in impl:getContributions  out impl:getContributionsResponse" in scaffold.stdout
    filled = out / "pension-fund.contribution-history.toml"
    filled.write_text(fill((out / SKELETON).read_text()))
    check = _cli("adapter", "check", filled)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "ok: no problems" in check.stdout
    return filled


def _services_toml(folder: Path, mapping: Path, endpoint: str) -> Path:
    path = folder / "services.toml"
    path.write_text(f"""\
[[service]]
id = "{SERVICE}"
request = "social-security.contribution-history-query@1.0"
response = "social-security.contribution-history@1.0"
operation = "PensionFundContributionHistory"
adapter = "soap-mapping"
mapping = "{mapping.name}"
endpoint = "{endpoint}"
description = "Contribution periods from the Pension Fund's rpc/encoded register"

[[service.purpose]]
name = "{PURPOSE}"
legal_basis = "pension entitlement check"
fields = ["person", "periods", "as_of"]
""")
    return path


@pytest.mark.parametrize("multiref", [True, False], ids=["axis-multiref", "in-place"])
async def test_an_rpc_encoded_department_is_onboarded_and_queried(
    tmp_path: Path, hub_settings: HubSettings, multiref: bool
) -> None:
    """Scaffold, fill and check its WSDL; the hub's answer holds the encoded array's periods."""
    filled = _scaffold_fill_check(tmp_path / "mappings")
    behaviour = PensionFundBehaviour(multiref=multiref)
    async with serve_asgi(create_app(behaviour), name="pension-fund") as base:
        services = load_services(
            _services_toml(filled.parent, filled, f"{base}{ENDPOINT_PATH}"), default_registry())
        async with run_hub(hub_settings, services) as hub:
            await grant(hub, "north/test-client", SERVICE, PURPOSE)
            async with httpx.AsyncClient(timeout=30) as http:
                answer = await http.post(
                    f"{hub.http_url}/services/{SERVICE}",
                    json={"national_id": "19800101-1234", "period_start": "2000-01-01",
                          "period_end": "2025-12-31"},
                    headers=auth_headers(hub, "north/test-client", **{
                        "X-Correlation-Id": "rpc-1", "X-Hub-Purpose": PURPOSE}))
            assert answer.status_code == 200, answer.text
            history = answer.json()
            assert history["person"]["family_name"] == "Andersson"
            assert [p["employer_name"] for p in history["periods"]] == [
                "Nordic Timber Works", "Harbour Logistics Ltd", "Brightline Software"]
            assert history["periods"][0]["contribution_base"] in ("164520.00", 164520.0)
            assert history["periods"][2]["end"] is None  # xsi:nil in the encoded answer
            # Completed follows the written reply (bounded wait, as for every query).
            await completed(hub, answer.headers["X-Exchange-Id"])
    (sent,) = behaviour.requests
    wrapper = etree.fromstring(sent)[0][0]
    assert wrapper.tag == "{urn:pension-fund:contributions}getContributions"
    assert wrapper.get("{http://schemas.xmlsoap.org/soap/envelope/}encodingStyle") == ENC
    assert [(c.tag, c.get(f"{{{XSI}}}type")) for c in wrapper] == [
        ("persNo", "xsd:string"), ("fromDate", "xsd:date"), ("toDate", "xsd:date")]
