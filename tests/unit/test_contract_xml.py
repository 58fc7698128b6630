"""Contracts round-trip through XML; libxml2 pins every schema violation to a path and field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from pydantic import Field, ValidationError

from contracts.base import Contract, ContractId
from contracts.cases import (
    BusinessOpeningApplication,
    BusinessRegistrationRequest,
    CaseResult,
    InsuranceTransferRequest,
    Outcome,
    RelocationApplication,
    SelfEmployedInsuranceRequest,
    StepDecision,
    StepDecisionReceipt,
    StepDecisionSubmission,
    StepReference,
    TaxRegistrationRequest,
    VehicleReRegistrationRequest,
)
from contracts.catalogue import SHIPPED
from contracts.education import DiplomaVerdict, DiplomaVerification, DiplomaVerificationQuery
from contracts.errors import ContractError
from contracts.money import Money
from contracts.person import PersonIdentity, PersonIdentityV1_1
from contracts.social_security import ContributionHistory, ContributionHistoryQuery, InsuredPeriod
from contracts.social_security_v2 import ContributionHistoryV2, InsuredPeriodV2
from contracts.tax import ClearanceStatus, TaxClearance, TaxClearanceQuery
from contracts.xroad_example import Hello, HelloQuery, RandomNumber, RandomNumberQuery
from contracts.xsd import CONTRACTS_NS
from translation.contract_xml import ContractXmlCodec
from translation.errors import MappingError, SchemaViolation
from translation.soap_envelope import build_envelope, parse_envelope

NS = f'xmlns="{CONTRACTS_NS}"'
PERSON = PersonIdentity(
    national_id="19800101-1234",
    family_name="Löwe",
    given_names="Anna Maria",
    date_of_birth=dt.date(1980, 1, 1),
)
OPEN_PERIOD = InsuredPeriod(
    employer_id="EMP-1",
    employer_name="Acme & Söhne <GmbH>",
    start=dt.date(2020, 2, 1),
    contribution_base=Decimal("2500.50"),
    currency="EUR",
)
CLOSED_PERIOD = InsuredPeriod(
    employer_id="EMP-2",
    employer_name="Beta",
    start=dt.date(2010, 1, 1),
    end=dt.date(2019, 12, 31),
    contribution_base=Decimal("0"),
    currency="EUR",
)
CASE_SAMPLES: tuple[Contract, ...] = (  # one-stop cases (contracts.cases)
    RelocationApplication(
        national_id="19800101-1234", family_name="Andersson", given_names="Eva",
        origin_region="north", destination_region="south", new_address="Harbour Street 1",
        move_date=dt.date(2026, 3, 1), insured_since=dt.date(2001, 5, 1),
        vehicle_plate="ABC-123"),
    BusinessOpeningApplication(
        national_id="19800101-1234", family_name="Andersson", given_names="Eva",
        trade_name="Eva's Bakery", activity_code="10.71", business_address="Mill Road 2",
        starts_on=dt.date(2026, 4, 1)),
    StepDecision(national_id="19800101-1234", outcome=Outcome.MORE_INFORMATION,
                 reference="SS-9", reason="a certificate of residence",
                 decided_on=dt.date(2026, 3, 2)),
    StepDecisionSubmission(
        step_id="7f1c1f1e-7a53-4d61-9f0e-0c1b2a3d4e5f.contributions",
        decision=StepDecision(national_id="19800101-1234", outcome=Outcome.REFUSED,
                              reference="SS-9", reason="not insured")),
    StepDecisionReceipt(step_id="7f1c1f1e-7a53-4d61-9f0e-0c1b2a3d4e5f.contributions",
                        case_status="refused", step_state="refused", reference="SS-9"),
    InsuranceTransferRequest(
        national_id="19800101-1234", origin_region="north", transfer_on=dt.date(2026, 3, 1),
        origin_record_as_of=dt.date(2026, 2, 28),
        proof_of_address="7f1c1f1e-7a53-4d61-9f0e-0c1b2a3d4e5f"),
    TaxRegistrationRequest(national_id="19800101-1234", address="Harbour Street 1",
                           registered_from=dt.date(2026, 3, 1), trade_name="Eva's Bakery",
                           activity_code="10.71"),
    VehicleReRegistrationRequest(national_id="19800101-1234", plate="ABC-123",
                                 new_address="Harbour Street 1", tax_reference="TX-77"),
    BusinessRegistrationRequest(
        national_id="19800101-1234", trade_name="Eva's Bakery", activity_code="10.71",
        business_address="Mill Road 2", starts_on=dt.date(2026, 4, 1),
        identity_document="7f1c1f1e-7a53-4d61-9f0e-0c1b2a3d4e5f"),
    SelfEmployedInsuranceRequest(national_id="19800101-1234", business_reference="BR-1",
                                 tax_reference="TX-77", insured_from=dt.date(2026, 4, 1)),
    StepReference(step="tax-registration", reference="TX-77"),
    CaseResult(national_id="19800101-1234", completed_on=dt.date(2026, 3, 20),
               references=[StepReference(step="tax-registration", reference="TX-77")]),
)
SAMPLES: tuple[Contract, ...] = (
    PERSON,
    ContributionHistoryQuery(
        national_id="19800101-1234",
        period_start=dt.date(2000, 1, 1),
        period_end=dt.date(2024, 1, 1),
    ),
    ContributionHistory(
        person=PERSON, periods=[CLOSED_PERIOD, OPEN_PERIOD], as_of=dt.date(2024, 6, 30)
    ),
    ContributionHistory(person=PERSON, periods=[], as_of=dt.date(2024, 6, 30)),
    OPEN_PERIOD,
    # Versions 1.1 and 2.0 (issue #3): a minor with optional fields, a major with nested money.
    PersonIdentityV1_1(**PERSON.model_dump(), preferred_language="de", place_of_birth="Wien"),
    Money(amount=Decimal("12.30"), currency="EUR"),
    ContributionHistoryV2(
        person=PersonIdentityV1_1(**PERSON.model_dump()),
        periods=[
            InsuredPeriodV2(
                employer_id="EMP-1",
                employer_name="Beta",
                start=dt.date(2020, 2, 1),
                contribution=Money(amount=Decimal("2500.50"), currency="EUR"),
            )
        ],
        as_of=dt.date(2024, 6, 30),
    ),
    InsuredPeriodV2(
        employer_id="EMP-2",
        employer_name="Gamma",
        start=dt.date(2010, 1, 1),
        end=dt.date(2019, 12, 31),
        contribution=Money(amount=Decimal("0"), currency="EUR"),
    ),
    # X-Road's example services (issue #3): an empty query among them.
    RandomNumberQuery(), RandomNumber(number=42), HelloQuery(name="Ada"), Hello(message="Hi Ada"),
    # Documents named in contracts (issue #18): a document id in a DocumentRef field.
    DiplomaVerificationQuery(national_id="19800101-1234",
                             diploma="0b1f6f7e-3c0a-4d55-9a43-2a9f1f0b8c11"),
    DiplomaVerification(national_id="19800101-1234", verdict=DiplomaVerdict.AUTHENTIC,
                        decision="5d0c7a52-8f0e-4a2b-b7d4-0c2f4e1a9b3d"),
    TaxClearanceQuery(national_id="19800101-1234", tax_year=2023),
    TaxClearance(
        national_id="19800101-1234",
        tax_year=2023,
        status=ClearanceStatus.UNDER_REVIEW,
        outstanding_amount=Decimal("1E+3"),
        currency="EUR",
        issued_on=dt.date(2024, 3, 1),
    ),
)


@pytest.fixture(scope="module")
def codec() -> ContractXmlCodec:
    return ContractXmlCodec(SHIPPED)


def _through_soap(codec: ContractXmlCodec, contract: Contract) -> Contract:
    """Encode, wrap in an envelope, serialise, parse back and decode."""
    return codec.decode(parse_envelope(build_envelope(codec.encode(contract))).body)


def _decode(codec: ContractXmlCodec, xml: str) -> Contract:
    return codec.decode(etree.fromstring(xml.encode()))


def _violation(codec: ContractXmlCodec, xml: str) -> SchemaViolation:
    with pytest.raises(SchemaViolation) as caught:
        _decode(codec, xml)
    assert all(issue.code == "schema-violation" for issue in caught.value.issues)
    return caught.value


def _query(
    national_id: str = "19800101-1234", *, start: str = "2020-01-01", extra: str = ""
) -> str:
    return (
        f"<ContributionHistoryQuery {NS}><national_id>{national_id}</national_id>"
        f"<period_start>{start}</period_start>{extra}"
        "<period_end>2021-01-01</period_end></ContributionHistoryQuery>"
    )


@pytest.mark.parametrize("sample", (*SAMPLES, *CASE_SAMPLES), ids=lambda s: type(s).__name__)
def test_round_trip_of_every_shipped_contract(codec: ContractXmlCodec, sample: Contract) -> None:
    """decode(encode(x)) == x, also through a serialised SOAP envelope."""
    assert codec.decode(codec.encode(sample)) == sample
    assert _through_soap(codec, sample) == sample


def test_every_shipped_contract_has_a_sample() -> None:
    """The round trip above covers the whole catalogue."""
    assert {type(sample) for sample in (*SAMPLES, *CASE_SAMPLES)} == set(SHIPPED)


def test_encoding_is_plain_and_follows_field_order(codec: ContractXmlCodec) -> None:
    """Dates ISO, decimals without exponent, enums by value, absent optionals omitted."""
    clearance = SAMPLES[-1]
    element = codec.encode(clearance)
    assert element.tag == f"{{{CONTRACTS_NS}}}TaxClearance"
    assert [etree.QName(child).localname for child in element] == list(TaxClearance.model_fields)
    texts = {etree.QName(child).localname: child.text for child in element}
    assert texts["outstanding_amount"] == "1000"
    assert texts["status"] == "under-review"
    assert texts["issued_on"] == "2024-03-01"
    period = codec.encode(OPEN_PERIOD)
    assert period.find(f"{{{CONTRACTS_NS}}}end") is None


hypothesis_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cn", "Zl", "Zp")),
    min_size=1,
    max_size=40,
).filter(lambda text: text.strip() != "")
periods = st.builds(
    InsuredPeriod,
    employer_id=hypothesis_text,
    employer_name=hypothesis_text,
    start=st.dates(),
    end=st.none() | st.dates(),
    contribution_base=st.decimals(
        min_value=0, max_value=Decimal("999999999999.99"), places=2, allow_nan=False
    ),
    currency=st.from_regex(r"\A[A-Z]{3}\Z"),
)
histories = st.builds(
    ContributionHistory,
    person=st.builds(
        PersonIdentity,
        national_id=st.from_regex(r"\A[A-Z0-9][A-Z0-9-]{4,18}[A-Z0-9]\Z"),
        family_name=hypothesis_text,
        given_names=hypothesis_text,
        date_of_birth=st.dates(),
    ),
    periods=st.lists(periods, max_size=4),
    as_of=st.dates(),
)


@settings(max_examples=60, deadline=None)
@given(history=histories)
def test_contribution_history_round_trips(history: ContributionHistory) -> None:
    """Any valid contribution history survives encode -> envelope bytes -> decode."""
    codec = ContractXmlCodec([ContributionHistory])
    assert _through_soap(codec, history) == history


def test_missing_required_element(codec: ContractXmlCodec) -> None:
    """A missing element is reported at its own path, with the field it should fill."""
    xml = (
        f"<ContributionHistoryQuery {NS}><national_id>19800101-1234</national_id>"
        "<period_start>2020-01-01</period_start></ContributionHistoryQuery>"
    )
    (issue,) = _violation(codec, xml).issues
    assert issue.path == "/ContributionHistoryQuery/period_end"
    assert issue.field == "period_end"
    assert "Missing child element" in issue.reason
    assert issue.reason.startswith("line 1:")


def test_missing_element_in_a_nested_list_item(codec: ContractXmlCodec) -> None:
    """Items of a list are indexed: XPath-style in the path, pydantic-style in the field."""
    xml = etree.tostring(codec.encode(SAMPLES[2])).decode()
    xml = xml.replace("<currency>EUR</currency></periods><as_of>", "</periods><as_of>")
    (issue,) = _violation(codec, xml).issues
    assert issue.path == "/ContributionHistory/periods[2]/currency"
    assert issue.field == "periods.1.currency"


def test_gap_in_the_middle_is_reported_at_the_element_that_follows(
    codec: ContractXmlCodec,
) -> None:
    """libxml2 meets the next element first; the reason names what it expected instead."""
    xml = etree.tostring(codec.encode(SAMPLES[2])).decode()
    xml = xml.replace("<contribution_base>2500.50</contribution_base>", "")
    (issue,) = _violation(codec, xml).issues
    assert issue.path == "/ContributionHistory/periods[2]/currency"
    assert issue.field == "periods.1.currency"
    assert "Expected is one of ( end, contribution_base )" in issue.reason


def test_missing_required_field_after_an_optional_one(codec: ContractXmlCodec) -> None:
    """When libxml2 lists several candidates, the required one is named."""
    xml = (
        f"<InsuredPeriod {NS}><employer_id>E</employer_id><employer_name>N</employer_name>"
        "<start>2020-01-01</start></InsuredPeriod>"
    )
    (issue,) = _violation(codec, xml).issues
    assert issue.field == "contribution_base"


def test_wrong_type(codec: ContractXmlCodec) -> None:
    """A value of the wrong type names the element that holds it, with its line."""
    xml = _query(start="\n2020-13-45")
    (issue,) = _violation(codec, xml.replace("<period_start>", "\n<period_start>")).issues
    assert issue.path == "/ContributionHistoryQuery/period_start"
    assert issue.field == "period_start"
    assert issue.reason.startswith("line 2:")
    assert "xs:date" in issue.reason
    assert CONTRACTS_NS not in issue.reason


def test_wrong_type_deep_in_a_list(codec: ContractXmlCodec) -> None:
    """Positions count only the repeated element, in a prefixed document too."""
    xml = etree.tostring(codec.encode(SAMPLES[2])).decode()
    xml = xml.replace("<start>2020-02-01</start>", "<start>soon</start>")
    xml = xml.replace("xmlns=", "xmlns:c=").replace("<", "<c:").replace("<c:/", "</c:")
    (issue,) = _violation(codec, xml).issues
    assert issue.path == "/ContributionHistory/periods[2]/start"
    assert issue.field == "periods.1.start"


def test_pattern_violation(codec: ContractXmlCodec) -> None:
    """Facets from the contract are enforced by libxml2 before pydantic runs."""
    (issue,) = _violation(codec, _query("not an id")).issues
    assert issue.path == "/ContributionHistoryQuery/national_id"
    assert issue.field == "national_id"
    assert "pattern" in issue.reason


def test_unknown_child_element(codec: ContractXmlCodec) -> None:
    """An element the contract does not have is reported where it is."""
    issues = _violation(codec, _query(extra="<nickname>x</nickname>")).issues
    assert issues[0].path == "/ContributionHistoryQuery/nickname"
    assert issues[0].field == "nickname"


def test_several_problems_are_all_reported(codec: ContractXmlCodec) -> None:
    """One pass reports every violation libxml2 finds, not just the first."""
    xml = (
        f"<TaxClearance {NS}><national_id>x</national_id><tax_year>1800</tax_year>"
        "<status>lost</status><outstanding_amount>1.234</outstanding_amount>"
        "<currency>EUR</currency><issued_on>2024-01-01</issued_on></TaxClearance>"
    )
    fields = [issue.field for issue in _violation(codec, xml).issues]
    assert fields == ["national_id", "tax_year", "status", "outstanding_amount"]


def test_unknown_root_element(codec: ContractXmlCodec) -> None:
    """An element that is no contract names itself and the expected ones."""
    with pytest.raises(SchemaViolation) as caught:
        _decode(codec, f"<Unknown {NS}/>")
    (issue,) = caught.value.issues
    assert issue.path == "/Unknown"
    assert f"{{{CONTRACTS_NS}}}Unknown" in issue.reason
    assert f"{{{CONTRACTS_NS}}}TaxClearanceQuery" in issue.reason


def test_right_name_wrong_namespace_is_unknown(codec: ContractXmlCodec) -> None:
    """Elements are matched by qualified name, not by local name."""
    with pytest.raises(SchemaViolation):
        codec.model_for(etree.fromstring(b'<TaxClearanceQuery xmlns="urn:other"/>'))
    assert codec.model_for(etree.fromstring(f"<TaxClearanceQuery {NS}/>".encode())) is (
        TaxClearanceQuery
    )


def test_cross_field_rules_come_from_pydantic(codec: ContractXmlCodec) -> None:
    """What XSD cannot express is checked by the contract itself; ContractError passes through."""
    xml = _query().replace("2020-01-01", "2022-01-01")
    with pytest.raises(ContractError) as caught:
        _decode(codec, xml)
    assert "period_end must not be before period_start" in caught.value.issues[0].reason


def test_text_split_by_comments_and_whitespace_around_numbers(codec: ContractXmlCodec) -> None:
    """The decoder reads values the way libxml2 validated them."""
    xml = (
        f"<TaxClearanceQuery {NS}><national_id>19800101-1234</national_id>"
        "<tax_year>\n 20<!-- c -->23 </tax_year></TaxClearanceQuery>"
    )
    assert _decode(codec, xml) == TaxClearanceQuery(national_id="19800101-1234", tax_year=2023)


def test_decoding_an_element_inside_a_larger_tree(codec: ContractXmlCodec) -> None:
    """The element is validated on its own, whatever surrounds it."""
    wrapper = etree.fromstring(f"<outer><junk/>{_query()}</outer>".encode())
    query = codec.decode(wrapper[1])
    assert isinstance(query, ContributionHistoryQuery)
    wrapper = etree.fromstring(f"<outer><junk/>{_query('bad id')}</outer>".encode())
    with pytest.raises(SchemaViolation) as caught:
        codec.decode(wrapper[1])
    assert caught.value.issues[0].path == "/ContributionHistoryQuery/national_id"


def test_encoding_text_xml_cannot_carry(codec: ContractXmlCodec) -> None:
    """A string with a control character is a mapping error, not an lxml ValueError."""
    period = OPEN_PERIOD.model_copy(update={"employer_name": "bad\x07name"})
    with pytest.raises(MappingError) as caught:
        codec.encode(period)
    (issue,) = caught.value.issues
    assert (issue.path, issue.field, issue.code) == (
        "/InsuredPeriod/employer_name",
        "employer_name",
        "not-xml-compatible",
    )


def test_encoding_a_contract_the_codec_does_not_know() -> None:
    """Only the codec's own contracts can be encoded."""
    codec = ContractXmlCodec([TaxClearanceQuery])
    with pytest.raises(SchemaViolation, match="TaxClearance"):
        codec.encode(SAMPLES[-1])


class Reading(Contract):
    """A test contract with the scalar types the shipped ones do not use."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("test.reading", 1, 0)

    taken_at: dt.datetime
    verified: bool
    count: Annotated[int, Field(ge=0)] | None = None
    tags: list[str]


def test_datetime_bool_and_scalar_lists_round_trip() -> None:
    """The codec handles every type the XSD rendering supports."""
    codec = ContractXmlCodec([Reading])
    for reading in (
        Reading(taken_at=dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC), verified=True, tags=[]),
        Reading(taken_at=dt.datetime(2024, 1, 2, 3, 4), verified=False, count=3, tags=["a", "b"]),
    ):
        assert _through_soap(codec, reading) == reading
    element = codec.encode(Reading(taken_at=dt.datetime(2024, 1, 2), verified=True, tags=["x"]))
    assert [child.text for child in element] == ["2024-01-02T00:00:00", "true", "x"]


def test_sample_contracts_are_valid() -> None:
    """Guard: the samples themselves satisfy their contracts (a typo would fail here first)."""
    for sample in SAMPLES:
        try:
            type(sample).model_validate(sample.model_dump())
        except ValidationError as exc:  # pragma: no cover - only on a broken sample
            pytest.fail(str(exc))


def test_a_list_item_that_xml_cannot_carry_is_named_by_its_index(codec: ContractXmlCodec) -> None:
    """The path of an unencodable value inside a list names the item (built only on error)."""
    bad = OPEN_PERIOD.model_copy(update={"employer_name": "bad\x07name"})
    history = ContributionHistory(person=PERSON, periods=[CLOSED_PERIOD, bad],
                                  as_of=dt.date(2024, 6, 30))
    with pytest.raises(MappingError) as caught:
        codec.encode(history)
    (issue,) = caught.value.issues
    assert (issue.path, issue.field) == ("/ContributionHistory/periods[2]/employer_name",
                                         "employer_name")


def test_codecs_of_different_namespaces_keep_their_own_plans() -> None:
    """Each codec compiles its own element names: neither reads or writes the other's."""
    ours = ContractXmlCodec([ContributionHistory])
    theirs = ContractXmlCodec([ContributionHistory], namespace="urn:example:other")
    history = SAMPLES[2]
    element = theirs.encode(history)
    assert {child.tag.partition("}")[0] for child in element.iter()} == {"{urn:example:other"}
    assert _through_soap(theirs, history) == history
    assert _through_soap(ours, history) == history
    with pytest.raises(SchemaViolation):
        ours.decode(element)


def test_markup_and_carriage_returns_in_text_are_written_as_data(codec: ContractXmlCodec) -> None:
    """Text is escaped where the element is written as text: it reads back unchanged."""
    name = "A&B <Oy> ]]> \"q\" 'a'\r\nline two\rend"
    period = OPEN_PERIOD.model_copy(update={"employer_name": name})
    element = codec.encode(period)
    assert element.findtext(f"{{{CONTRACTS_NS}}}employer_name") == name
    assert _through_soap(codec, period) == period


@settings(max_examples=200, deadline=None)
@given(name=st.text(max_size=40))
def test_a_reply_written_as_text_is_the_element_serialised(name: str) -> None:
    """``encode_partial_bytes`` (the reply's bytes, written without a tree) says what the
    element of ``encode_partial`` says, for any text; text XML cannot carry is the same
    mapping error naming the same field."""
    codec = ContractXmlCodec([ContributionHistory])
    period = OPEN_PERIOD.model_copy(update={"employer_name": name})
    history = ContributionHistory(person=PERSON, periods=[CLOSED_PERIOD, period],
                                  as_of=dt.date(2024, 6, 30))
    try:
        element = codec.encode_partial(history, ContributionHistory)
    except MappingError as expected:
        with pytest.raises(MappingError) as caught:
            codec.encode_partial_bytes(history, ContributionHistory)
        assert caught.value.issues == expected.issues
        assert caught.value.issues[0].path == "/ContributionHistory/periods[2]/employer_name"
        return
    written = codec.encode_partial_bytes(history, ContributionHistory)
    canonical = etree.tostring(element, method="c14n", exclusive=True)
    assert etree.tostring(etree.fromstring(written), method="c14n", exclusive=True) == canonical
    body = parse_envelope(build_envelope(written)).body  # the envelope stays well-formed
    assert etree.tostring(body, method="c14n", exclusive=True) == canonical


def test_a_reply_written_as_text_declares_its_namespace_and_nothing_else() -> None:
    """The bytes are the element alone (no XML declaration), its namespace on it, UTF-8."""
    codec = ContractXmlCodec([ContributionHistory])
    history = ContributionHistory(person=PERSON, periods=[OPEN_PERIOD],
                                  as_of=dt.date(2024, 6, 30))
    written = codec.encode_partial_bytes(history, ContributionHistory)
    assert written.startswith(f'<ContributionHistory xmlns="{CONTRACTS_NS}">'.encode())
    assert "Löwe".encode() in written and b"Acme &amp; S" in written
    with pytest.raises(SchemaViolation, match="TaxClearance"):
        ContractXmlCodec([TaxClearanceQuery]).encode_partial_bytes(SAMPLES[-1], TaxClearance)


@pytest.mark.parametrize("bad", ["nul\x00", "bell\x07", "lone \ud800 surrogate", "\ufffe"])
def test_a_reply_with_text_xml_cannot_carry_names_the_field(bad: str) -> None:
    """Control characters, a lone surrogate, U+FFFE: the reply is refused, naming the field."""
    codec = ContractXmlCodec([ContributionHistory])
    history = ContributionHistory(person=PERSON.model_copy(update={"given_names": bad}),
                                  periods=[], as_of=dt.date(2024, 6, 30))
    with pytest.raises(MappingError) as caught:
        codec.encode_partial_bytes(history, ContributionHistory)
    (issue,) = caught.value.issues
    assert (issue.path, issue.code) == ("/ContributionHistory/person/given_names",
                                        "not-xml-compatible")
