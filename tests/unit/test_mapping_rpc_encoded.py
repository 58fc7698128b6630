"""Mapping an rpc/encoded operation: arrays <-> contract lists, SOAP encoding at the wire.

Uses the Pension Fund's mapping (``simulations/mappings/pension-fund.contribution-history.toml``)
over its rpc/encoded WSDL.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from contracts.person import PersonIdentity
from contracts.social_security import (
    ContributionHistory,
    ContributionHistoryQuery,
    InsuredPeriod,
)
from translation.errors import MalformedInput, ProviderResponseInvalid
from translation.mapping import CompiledMapping, compile_mapping, load_mapping
from translation.mapping.soap_encoding import EncodedWire
from translation.soap_envelope import parse_envelope

ROOT = Path(__file__).resolve().parents[2]
MAPPING = ROOT / "simulations" / "mappings" / "pension-fund.contribution-history.toml"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
ENC = "http://schemas.xmlsoap.org/soap/encoding/"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
HISTORY = ContributionHistory(
    person=PersonIdentity(national_id="19800101-1234", family_name="Andersson",
                          given_names="Maria Elena", date_of_birth=dt.date(1980, 1, 1)),
    periods=[
        InsuredPeriod(employer_id="556012-3456", employer_name="Nordic Timber Works",
                      start=dt.date(2002, 9, 1), end=dt.date(2008, 6, 30),
                      contribution_base=Decimal("164520.00"), currency="EUR"),
        InsuredPeriod(employer_id="559101-2020", employer_name="Brightline Software",
                      start=dt.date(2016, 1, 1), end=None,
                      contribution_base=Decimal("523000.00"), currency="EUR"),
    ],
    as_of=dt.date(2026, 12, 1),
)


@pytest.fixture(scope="module")
def mapping() -> CompiledMapping:
    return load_mapping(MAPPING)


def test_adapter_check_accepts_the_array_mapping() -> None:
    """The [[response.list]] over the encoded array compiles without findings."""
    compiled, report = compile_mapping(MAPPING)
    assert compiled is not None and compiled.soap is not None
    assert not report.errors
    assert compiled.soap.encoded


def test_adapter_check_refuses_a_list_over_a_path_the_array_does_not_have(
    tmp_path: Path,
) -> None:
    """A list block naming the array's items wrongly is an unknown-path error."""
    text = MAPPING.read_text().replace('each = "getContributionsReturn/periods/item"',
                                       'each = "getContributionsReturn/periods/Period"')
    wrong = tmp_path / "wrong.toml"
    wsdl = MAPPING.parent.parent / "rpc_encoded_bureau" / "pensions.wsdl"
    wrong.write_text(text.replace('"../rpc_encoded_bureau/pensions.wsdl"', f'"{wsdl}"'))
    _, report = compile_mapping(wrong)
    (unknown,) = [e for e in report.errors if e.code == "unknown-path"]
    assert "periods has no element Period" in unknown.message


def test_an_encoded_array_round_trips_with_a_contract_list(mapping: CompiledMapping) -> None:
    """list -> soapenc:Array (arrayType, xsi:type on items) -> list, both directions."""
    literal = mapping.response.encode(HISTORY)
    codec = EncodedWire(mapping.response.root, mapping.soap.arrays)
    wire = codec.to_wire(literal, mapping.spec.soap.namespaces)
    periods = wire.find("getContributionsReturn/periods")
    assert periods is not None
    assert periods.get(f"{{{XSI}}}type") == "soapenc:Array"
    prefix = periods.get(f"{{{ENC}}}arrayType", "").partition(":")[0]
    assert wire.nsmap[prefix] == "urn:pension-fund:types"
    assert periods.get(f"{{{ENC}}}arrayType") == f"{prefix}:Period[2]"
    assert [i.get(f"{{{XSI}}}type") for i in periods] == [f"{prefix}:Period"] * 2
    assert wire.get(f"{{{SOAP}}}encodingStyle") == ENC
    back = codec.from_wire(wire, (), "test")
    assert mapping.response.decode(back) == HISTORY


def test_the_request_carries_xsi_types_and_the_encoding_style(mapping: CompiledMapping) -> None:
    """Every accessor is typed on the wire (strict encoded servers require it)."""
    query = ContributionHistoryQuery(national_id="19800101-1234",
                                     period_start=dt.date(2020, 1, 1),
                                     period_end=dt.date(2021, 1, 1))
    wire = EncodedWire(mapping.request.root, mapping.soap.arrays).to_wire(
        mapping.request.encode(query), mapping.spec.soap.namespaces)
    assert wire.tag == "{urn:pension-fund:contributions}getContributions"
    types = [(c.tag, c.get(f"{{{XSI}}}type")) for c in wire]
    assert types == [("persNo", "xsd:string"), ("fromDate", "xsd:date"), ("toDate", "xsd:date")]
    assert wire.nsmap["xsd"] == "http://www.w3.org/2001/XMLSchema"


AXIS_ANSWER = f"""<soapenv:Envelope xmlns:soapenv="{SOAP}" xmlns:xsi="{XSI}"
 xmlns:soapenc="{ENC}" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soapenv:Body>
 <ns1:getContributionsResponse xmlns:ns1="urn:pension-fund:contributions"
   soapenv:encodingStyle="{ENC}"><getContributionsReturn href="#id0"/>
 </ns1:getContributionsResponse>
 <multiRef id="id0" soapenc:root="0" xsi:type="ns2:ContributionRecord"
   xmlns:ns2="urn:pension-fund:types">
  <persNo xsi:type="xsd:string">19800101-1234</persNo><surname xsi:type="xsd:string"
  >Andersson</surname><forenames xsi:type="xsd:string">Maria Elena</forenames>
  <birthDate xsi:type="xsd:date">1980-01-01</birthDate><asOf xsi:type="xsd:date"
  >2026-12-01</asOf>
  <periods xsi:type="soapenc:Array" soapenc:arrayType="ns2:Period[2]">
   <Period href="#id1"/><Period href="#id2"/></periods>
 </multiRef>
 <multiRef id="id1" soapenc:root="0" xsi:type="ns2:Period" xmlns:ns2="urn:pension-fund:types">
  <employerNo>556012-3456</employerNo><employerName>Nordic Timber Works</employerName>
  <begin>2002-09-01</begin><end>2008-06-30</end><baseCents xsi:type="xsd:long"
  >16452000</baseCents><currency>EUR</currency></multiRef>
 <multiRef id="id2" soapenc:root="0" xsi:type="ns2:Period" xmlns:ns2="urn:pension-fund:types">
  <employerNo>559101-2020</employerNo><employerName>Brightline Software</employerName>
  <begin>2016-01-01</begin><end xsi:nil="true"/><baseCents>52300000</baseCents>
  <currency>EUR</currency></multiRef>
</soapenv:Body></soapenv:Envelope>"""


def _decode(mapping: CompiledMapping, answer: str) -> ContributionHistory:
    message = parse_envelope(answer.encode(), encoded=True)
    literal = EncodedWire(mapping.response.root, mapping.soap.arrays).from_wire(
        message.body, message.independents, "pension fund")
    return mapping.response.decode(literal)


def test_an_axis_answer_with_multirefs_decodes(mapping: CompiledMapping) -> None:
    """href/multiRef values are inlined; array items named otherwise than `item` still map."""
    assert _decode(mapping, AXIS_ANSWER) == HISTORY


def test_several_body_elements_need_the_encoded_reading() -> None:
    """A literal reading still refuses a body with several elements."""
    with pytest.raises(MalformedInput):
        parse_envelope(AXIS_ANSWER.encode())


@pytest.mark.parametrize(("old", "new", "construct"), [
    ('<Period href="#id1"/>', '<Period href="http://elsewhere/p1"/>', "outside the message"),
    ('<Period href="#id1"/>', '<Period href="#nowhere"/>', "names no element"),
    ('<employerNo>556012-3456</employerNo>',
     '<employerNo href="#id0"/>', "cyclic reference"),
    ('soapenc:arrayType="ns2:Period[2]"', 'soapenc:arrayType="ns2:Period[1,2]"',
     "multi-dimensional"),
    ('<Period href="#id1"/>', '<Period href="#id1" soapenc:position="[3]"/>', "position"),
    ('soapenc:arrayType="ns2:Period[2]"', 'soapenc:arrayType="ns2:Period[2]" '
     'soapenc:offset="[1]"', "offset"),
])
def test_unsupported_encoded_constructs_are_refused_by_name(
    mapping: CompiledMapping, old: str, new: str, construct: str
) -> None:
    """Each is a ProviderResponseInvalid naming the construct and the path where it is."""
    assert AXIS_ANSWER.count(old) == 1
    with pytest.raises(ProviderResponseInvalid) as refused:
        _decode(mapping, AXIS_ANSWER.replace(old, new))
    assert construct in refused.value.message
    assert refused.value.issues[0].code == "unsupported-encoding"
    assert refused.value.issues[0].path.startswith("/")


def test_the_request_wire_form_is_valid_xml_for_the_envelope(mapping: CompiledMapping) -> None:
    """The encoded wrapper serialises with every prefix its xsi:type values use declared."""
    query = ContributionHistoryQuery(national_id="19800101-1234",
                                     period_start=dt.date(2020, 1, 1),
                                     period_end=dt.date(2021, 1, 1))
    wire = EncodedWire(mapping.request.root, mapping.soap.arrays).to_wire(
        mapping.request.encode(query), mapping.spec.soap.namespaces)
    reparsed = etree.fromstring(etree.tostring(wire))
    for child in reparsed:
        prefix = child.get(f"{{{XSI}}}type", "").partition(":")[0]
        assert prefix in reparsed.nsmap
