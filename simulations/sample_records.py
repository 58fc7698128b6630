"""A sample citizen's contribution history and how a legacy SOAP stack writes it.

Shared by the translation benchmark and the ingest records (benchmark and
tests): eleven insured periods, the last still open; the SOAP form is the
social-security bureau's ``GetInsuranceRecordResponse`` in an envelope as a
legacy stack writes it — ns-prefixed, one element per line, a header block.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from lxml import etree

from contracts.person import PersonIdentity
from contracts.social_security import ContributionHistory, InsuredPeriod
from translation.mapping import CompiledMapping
from translation.soap_envelope import SOAP11_NS

TEMPLATE_ID = "19800101-1234"
PERIODS = 11


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
    # Re-created under the envelope's ns1 prefix, as zeep and most Java stacks write it.
    copy = etree.Element(element.tag, nsmap={"ns1": namespace})
    copy.text = element.text
    for child in element:
        copy.append(_renamespaced(child, namespace))
    return copy
