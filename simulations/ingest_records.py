"""Records departments submit to ingest, in their native formats (benchmark and tests).

Two departments issue citizens' contribution histories (eleven insured
periods, like the translation benchmark):

- ``social-security`` submits SOAP 1.1 envelopes whose body is its
  ``GetInsuranceRecordResponse`` (its declarative mapping), as a legacy stack
  writes them: ns-prefixed, one element per line, a header block; about 3.7 KB.
- ``pensions`` submits its own JSON dialect (its JSON mapping); about 1.7 KB.

Bodies differ per record by the citizen's national id, substituted into one
encoded template so that making 100,000 of them costs nothing worth measuring.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from lxml import etree

from adapters.mapping import CompiledMapping, load_mapping
from adapters.soap_envelope import SOAP11_NS
from contracts.person import PersonIdentity
from contracts.social_security import ContributionHistory, InsuredPeriod
from hub.ingest import IngestSource
from simulations.departments import MAPPINGS, SOCIAL_SECURITY_MAPPING

CONTRACT = "social-security.contribution-history@1.0"
PENSIONS_MAPPING = MAPPINGS / "pensions.contribution-history.toml"
SOAP_DEPARTMENT = "social-security"
JSON_DEPARTMENT = "pensions"
TEMPLATE_ID = "19800101-1234"
PERIODS = 11

SOURCES = (
    IngestSource(SOAP_DEPARTMENT, CONTRACT, "soap", str(SOCIAL_SECURITY_MAPPING)),
    IngestSource(JSON_DEPARTMENT, CONTRACT, "json", str(PENSIONS_MAPPING)),
)


def history(national_id: str = TEMPLATE_ID) -> ContributionHistory:
    """A citizen with eleven insured periods, the last one still open."""
    employers = ["Nordic Timber Works", "Harbour Logistics Ltd", "City of Eastport",
                 "Westfield Clinic Foundation", "Brightline Software"]
    periods = [
        InsuredPeriod(
            employer_id=f"55{n:04d}-{1000 + 37 * n:04d}",
            employer_name=f"{employers[n % len(employers)]} (regional branch {n + 1})",
            start=dt.date(1995 + 2 * n, 1 + n % 12, 1),
            end=None if n == PERIODS - 1 else dt.date(1996 + 2 * n, 12, 31),
            contribution_base=Decimal(2_345_678 + 104_729 * n).scaleb(-2),
            currency="EUR" if n > 2 else "DEM",
        )
        for n in range(PERIODS)
    ]
    person = PersonIdentity(national_id=national_id, family_name="Andersson-Lindqvist",
                            given_names="Maria Elena", date_of_birth=dt.date(1980, 1, 1))
    return ContributionHistory(person=person, periods=periods, as_of=dt.date(2026, 11, 28))


def national_id(n: int) -> str:
    """The n-th citizen's national id (distinct for n < 10**8)."""
    return f"{n % 10**8:08d}-{(n * 7919) % 10**4:04d}"


class RecordFactory:
    """Native bodies of contribution histories, one per citizen number."""

    def __init__(self) -> None:
        self.soap_mapping: CompiledMapping = load_mapping(SOCIAL_SECURITY_MAPPING)
        self.json_mapping: CompiledMapping = load_mapping(PENSIONS_MAPPING)
        template = history()
        self._soap = soap_envelope(self.soap_mapping, template)
        self._json = json.dumps(self.json_mapping.response.encode(template)).encode()

    def soap(self, n: int) -> bytes:
        return self._soap.replace(TEMPLATE_ID.encode(), national_id(n).encode())

    def json(self, n: int) -> bytes:
        return self._json.replace(TEMPLATE_ID.encode(), national_id(n).encode())


def soap_envelope(mapping: CompiledMapping, record: ContributionHistory) -> bytes:
    """The record as a legacy stack sends it: ns-prefixed, one element per line, a header."""
    body = mapping.response.encode(record)
    namespace = body.nsmap.get("bur") or next(iter(body.nsmap.values()))
    envelope = etree.Element(f"{{{SOAP11_NS}}}Envelope",
                             nsmap={"SOAP-ENV": SOAP11_NS, "ns1": namespace})
    header = etree.SubElement(envelope, f"{{{SOAP11_NS}}}Header")
    etree.SubElement(header, f"{{{namespace}}}TransactionId").text = "TX-2026-11-28-000042"
    etree.SubElement(envelope, f"{{{SOAP11_NS}}}Body").append(_renamespaced(body, namespace))
    etree.indent(envelope, space="")
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _renamespaced(element: etree._Element, namespace: str) -> etree._Element:
    copy = etree.Element(element.tag, nsmap={"ns1": namespace})
    copy.text = element.text
    for child in element:
        copy.append(_renamespaced(child, namespace))
    return copy
