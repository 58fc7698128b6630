"""The shipped social-security mapping: the bureau's SOAP dialect <-> contribution history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from lxml import etree

from contracts.errors import ContractError
from contracts.social_security import ContributionHistoryQuery
from simulations.departments import SOCIAL_SECURITY_MAPPING
from translation.errors import MappingError, SchemaViolation
from translation.mapping import load_mapping
from translation.mapping.compiled import CompiledMapping
from translation.mapping.xml_plan import XmlSection

NS = "http://bureau.social-security.example/ws/2004"
ANSWER = f"""<GetInsuranceRecordResponse xmlns="{NS}">
  <Holder><PersNo>19800101-1234</PersNo><Surname>Andersson</Surname>
    <Forenames>Maria Elena</Forenames><BirthDt>01.01.1980</BirthDt></Holder>
  <Period><EmplNo>556987-6543</EmplNo><EmplName>Harbour Logistics Ltd</EmplName>
    <BeginDt>01.08.2008</BeginDt><EndDt>31.12.2015</EndDt>
    <ContribBaseCents>31870050</ContribBaseCents><Curr>EUR</Curr></Period>
  <Period><EmplNo>559101-2020</EmplNo><EmplName>Brightline Software</EmplName>
    <BeginDt>01.01.2016</BeginDt><EndDt>00.00.0000</EndDt>
    <ContribBaseCents>0</ContribBaseCents><Curr>EUR</Curr></Period>
  <ExtractDt>28.11.2026</ExtractDt>
</GetInsuranceRecordResponse>"""


@pytest.fixture(scope="module")
def mapping() -> CompiledMapping:
    return load_mapping(SOCIAL_SECURITY_MAPPING)


@pytest.fixture(scope="module")
def response(mapping: CompiledMapping) -> XmlSection:
    assert isinstance(mapping.response, XmlSection)
    return mapping.response


def answer(**changes: str | None) -> etree._Element:
    """ANSWER with elements replaced: ``Period_2_BeginDt="..."``; None removes the element."""
    root = etree.fromstring(ANSWER)
    for key, value in changes.items():
        if key.startswith("Period_"):
            _, index, name = key.split("_", 2)
            element = root.findall(f"{{{NS}}}Period")[int(index) - 1].find(f"{{{NS}}}{name}")
        elif key.startswith("Holder_"):
            element = root.find(f"{{{NS}}}Holder/{{{NS}}}{key.split('_', 1)[1]}")
        else:
            element = root.find(f"{{{NS}}}{key}")
        if value is None:
            element.getparent().remove(element)
        else:
            element.text = value
    return root


def test_query_becomes_legacy_request_with_dotted_dates(mapping: CompiledMapping) -> None:
    """A query becomes PersNo/FromDt/ToDt with DD.MM.YYYY dates, in the schema's order."""
    query = ContributionHistoryQuery(national_id="19800101-1234",
                                     period_start=dt.date(2010, 3, 5),
                                     period_end=dt.date(2024, 12, 31))
    element = mapping.request.encode(query)
    assert [(etree.QName(c).localname, c.text) for c in element] == [
        ("PersNo", "19800101-1234"), ("FromDt", "05.03.2010"), ("ToDt", "31.12.2024")]


def test_full_answer_maps_onto_the_contract(response: XmlSection) -> None:
    """Holder, periods and extract date map onto person, periods and as_of."""
    history = response.decode(answer())
    assert history.person.national_id == "19800101-1234"
    assert history.person.family_name == "Andersson"
    assert history.person.given_names == "Maria Elena"
    assert history.person.date_of_birth == dt.date(1980, 1, 1)
    first = history.periods[0]
    assert (first.employer_id, first.employer_name) == ("556987-6543", "Harbour Logistics Ltd")
    assert (first.start, first.end) == (dt.date(2008, 8, 1), dt.date(2015, 12, 31))
    assert history.as_of == dt.date(2026, 11, 28)


def test_cents_become_decimal_with_two_places(response: XmlSection) -> None:
    """ContribBaseCents become an exact Decimal with two decimal places, zero included."""
    history = response.decode(answer())
    assert history.periods[0].contribution_base == Decimal("318700.50")
    assert str(history.periods[1].contribution_base) == "0.00"


def test_open_period_sentinel_becomes_none(response: XmlSection) -> None:
    """EndDt 00.00.0000 marks an open period: end is None."""
    assert response.decode(answer()).periods[1].end is None


def test_person_without_periods_maps_to_empty_list(response: XmlSection) -> None:
    """No Period elements give an empty periods list."""
    root = answer()
    for period in root.findall(f"{{{NS}}}Period"):
        root.remove(period)
    assert response.decode(root).periods == []


def test_impossible_date_names_the_legacy_path(response: XmlSection) -> None:
    """A date the pattern allows but the calendar does not is a MappingError at its path."""
    with pytest.raises(MappingError) as caught:
        response.decode(answer(Period_2_BeginDt="31.02.2016"))
    (issue,) = caught.value.issues
    assert issue.path == "/GetInsuranceRecordResponse/Period[2]/BeginDt"
    assert issue.field == "periods.1.start"
    assert issue.code == "malformed"


def test_open_sentinel_is_refused_where_a_date_is_required(response: XmlSection) -> None:
    """00.00.0000 is only meaningful as EndDt; as BeginDt the bureau's XSD refuses it."""
    with pytest.raises(SchemaViolation) as caught:
        response.decode(answer(Period_1_BeginDt="00.00.0000"))
    assert caught.value.issues[0].path == "/GetInsuranceRecordResponse/Period[1]/BeginDt"
    assert caught.value.issues[0].field == "periods.0.start"


def test_every_schema_violation_is_reported_at_once(response: XmlSection) -> None:
    """All invalid elements are listed, not only the first."""
    with pytest.raises(SchemaViolation) as caught:
        response.decode(answer(ExtractDt="2026-11-28", Period_1_ContribBaseCents="12.5"))
    assert {issue.path for issue in caught.value.issues} == {
        "/GetInsuranceRecordResponse/ExtractDt",
        "/GetInsuranceRecordResponse/Period[1]/ContribBaseCents",
    }


def test_missing_holder_names_the_missing_element(response: XmlSection) -> None:
    """An answer without Holder is refused at /Holder."""
    with pytest.raises(SchemaViolation) as caught:
        response.decode(answer(Holder=None))
    assert caught.value.issues[0].path == "/GetInsuranceRecordResponse/Holder"


def test_missing_child_names_the_child_and_its_field(response: XmlSection) -> None:
    """A Period without Curr is refused at Period[n]/Curr, naming the contract field."""
    with pytest.raises(SchemaViolation) as caught:
        response.decode(answer(Period_2_Curr=None))
    (issue,) = caught.value.issues
    assert (issue.path, issue.field) == ("/GetInsuranceRecordResponse/Period[2]/Curr",
                                         "periods.1.currency")


def test_other_root_element_is_refused(response: XmlSection) -> None:
    """A body that is not GetInsuranceRecordResponse is refused before anything is read."""
    with pytest.raises(SchemaViolation) as caught:
        response.decode(etree.fromstring(f'<Other xmlns="{NS}"/>'))
    assert caught.value.issues[0].code == "unexpected-element"


def test_contract_violation_names_the_legacy_element(response: XmlSection) -> None:
    """A value the XSD allows but the contract refuses is a ContractError at the legacy path."""
    with pytest.raises(ContractError) as caught:
        response.decode(answer(Holder_Surname="   "))
    (issue,) = caught.value.issues
    assert issue.path == "/GetInsuranceRecordResponse/Holder/Surname"
    assert issue.field == "person.family_name"


def test_contract_violation_in_a_list_item_is_indexed(response: XmlSection) -> None:
    """An amount too large for the contract is named with its Period index."""
    with pytest.raises(ContractError) as caught:
        response.decode(answer(Period_2_ContribBaseCents="9000000000000000000"))
    (issue,) = caught.value.issues
    assert issue.path == "/GetInsuranceRecordResponse/Period[2]/ContribBaseCents"
    assert issue.field == "periods.1.contribution_base"


def test_comments_inside_values_do_not_cut_them(response: XmlSection) -> None:
    """A comment splitting a value is read as libxml2 validated it (the joined text)."""
    root = answer()
    surname = root.find(f"{{{NS}}}Holder/{{{NS}}}Surname")
    surname.text = "Anders"
    comment = etree.Comment(" legacy ")
    comment.tail = "son"
    surname.append(comment)
    assert response.decode(root).person.family_name == "Andersson"


def test_encoded_answer_validates_and_decodes_back(response: XmlSection) -> None:
    """Encoding a history writes the bureau's dialect (sentinel, cents) and decodes back."""
    history = response.decode(answer())
    element = response.encode(history)
    periods = element.findall(f"{{{NS}}}Period")
    assert periods[1].findtext(f"{{{NS}}}EndDt") == "00.00.0000"
    assert periods[0].findtext(f"{{{NS}}}ContribBaseCents") == "31870050"
    assert response.decode(element) == history


def test_answer_must_match_the_question(mapping: CompiledMapping, response: XmlSection) -> None:
    """[response.match] reports an answer about another person at Holder/PersNo."""
    history = response.decode(answer())
    other = ContributionHistoryQuery(national_id="19751224-5678",
                                     period_start=dt.date(2000, 1, 1),
                                     period_end=dt.date(2001, 1, 1))
    (issue,) = mapping.mismatches(other, history)
    assert (issue.path, issue.field, issue.code) == (
        "/GetInsuranceRecordResponse/Holder/PersNo", "person.national_id", "mismatch")
