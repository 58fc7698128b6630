"""zeep, as a stand-in for any SOAP client, speaks to the hub through the WSDL it serves."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from dataclasses import replace as dataclasses_replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import zeep
import zeep.exceptions
from lxml import etree

from contracts.errors import FieldIssue
from contracts.person import PersonIdentity
from contracts.social_security import ContributionHistory, ContributionHistoryQuery, InsuredPeriod
from contracts.tax import ClearanceStatus, TaxClearance, TaxClearanceQuery
from translation.contract_xml import ContractXmlCodec
from translation.hub_wsdl import HEADER_NS, WsdlOperation, render_wsdl
from translation.soap_envelope import build_envelope, build_fault, parse_envelope
from translation.xml_safety import parse_xml

LOCATION = "http://127.0.0.1:8080/soap"
OPERATIONS = (
    WsdlOperation(
        "ContributionHistory",
        ContributionHistoryQuery,
        ContributionHistory,
        "A citizen's insured periods within a date range.",
    ),
    WsdlOperation("TaxClearance", TaxClearanceQuery, TaxClearance),
)
WSDL_NS = {
    "w": "http://schemas.xmlsoap.org/wsdl/",
    "s": "http://schemas.xmlsoap.org/wsdl/soap/",
}
HISTORY = ContributionHistory(
    person=PersonIdentity(
        national_id="19800101-1234",
        family_name="Löwe",
        given_names="Anna",
        date_of_birth=dt.date(1980, 1, 1),
    ),
    periods=[
        InsuredPeriod(
            employer_id="EMP-1",
            employer_name="Acme",
            start=dt.date(2010, 1, 1),
            end=dt.date(2019, 12, 31),
            contribution_base=Decimal("2500.50"),
            currency="EUR",
        ),
        InsuredPeriod(
            employer_id="EMP-2",
            employer_name="Beta",
            start=dt.date(2020, 1, 1),
            contribution_base=Decimal("3100.00"),
            currency="EUR",
        ),
    ],
    as_of=dt.date(2024, 6, 30),
)


@dataclass
class FakeHttpResponse:
    """What zeep's binding reads from a ``requests`` response."""

    content: bytes
    status_code: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/xml"})
    encoding: str = "utf-8"


def _wsdl() -> bytes:
    return render_wsdl(OPERATIONS, service_name="InteropHub", location=LOCATION)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> zeep.Client:
    path: Path = tmp_path_factory.mktemp("wsdl") / "hub.wsdl"
    path.write_bytes(_wsdl())
    settings = zeep.Settings(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    return zeep.Client(str(path), settings=settings)


@pytest.fixture(scope="module")
def codec() -> ContractXmlCodec:
    return ContractXmlCodec([model for op in OPERATIONS for model in (op.request, op.response)])


def _reply(client: zeep.Client, operation: str, content: bytes) -> Any:
    binding = client.service._binding
    return binding.process_reply(client, binding.get(operation), FakeHttpResponse(content))


def test_wsdl_is_hardened_parseable_and_deterministic() -> None:
    """The WSDL passes our own hardened parser and renders identically twice."""
    root = parse_xml(_wsdl())
    assert root.tag == "{http://schemas.xmlsoap.org/wsdl/}definitions"
    assert _wsdl() == _wsdl()


def test_binding_is_soap11_document_literal(client: zeep.Client) -> None:
    """soapAction is the operation name; the address is the location given."""
    root = parse_xml(_wsdl())
    assert root.xpath("string(//s:binding/@style)", namespaces=WSDL_NS) == "document"
    actions = root.xpath("//w:binding/w:operation/s:operation/@soapAction", namespaces=WSDL_NS)
    assert actions == ["ContributionHistory", "TaxClearance"]
    assert root.xpath("string(//s:address/@location)", namespaces=WSDL_NS) == LOCATION
    assert set(root.xpath("//s:body/@use", namespaces=WSDL_NS)) == {"literal"}
    assert client.service._binding_options["address"] == LOCATION


def test_embedded_schemas_compile() -> None:
    """The contract schema keeps its own tns prefix inside the WSDL and compiles."""
    root = parse_xml(_wsdl())
    schemas = root.xpath("w:types/*", namespaces=WSDL_NS)
    assert [s.get("targetNamespace") for s in schemas] == [
        "urn:interop-hub:contracts:1",
        HEADER_NS,
    ]
    for schema in schemas:
        etree.XMLSchema(etree.fromstring(etree.tostring(schema)))


def test_zeep_request_decodes_to_the_same_contract(
    client: zeep.Client, codec: ContractXmlCodec
) -> None:
    """A zeep-built request is exactly the XML our codec decodes."""
    envelope = client.create_message(
        client.service,
        "ContributionHistory",
        national_id="19800101-1234",
        period_start=dt.date(2020, 1, 1),
        period_end=dt.date(2024, 1, 1),
    )
    message = parse_envelope(etree.tostring(envelope))
    assert message.headers == ()
    assert codec.decode(message.body) == ContributionHistoryQuery(
        national_id="19800101-1234",
        period_start=dt.date(2020, 1, 1),
        period_end=dt.date(2024, 1, 1),
    )


def test_zeep_sends_the_optional_hub_headers(client: zeep.Client, codec: ContractXmlCodec) -> None:
    """client and correlationId travel as SOAP header blocks when the caller sets them."""
    envelope = client.create_message(
        client.service,
        "TaxClearance",
        national_id="19800101-1234",
        tax_year=2023,
        _soapheaders={"client": "north/tax", "correlationId": "c-42"},
    )
    message = parse_envelope(etree.tostring(envelope))
    headers = {etree.QName(h).localname: h.text for h in message.headers}
    assert headers == {"client": "north/tax", "correlationId": "c-42"}
    assert {etree.QName(h).namespace for h in message.headers} == {HEADER_NS}
    assert codec.decode(message.body) == TaxClearanceQuery(
        national_id="19800101-1234", tax_year=2023
    )


def test_zeep_reads_our_response(client: zeep.Client, codec: ContractXmlCodec) -> None:
    """An envelope built from an encoded contract is read by zeep into the same values."""
    result = _reply(client, "ContributionHistory", build_envelope(codec.encode(HISTORY)))
    assert result.as_of == HISTORY.as_of
    assert result.person.national_id == HISTORY.person.national_id
    assert result.person.family_name == "Löwe"
    assert result.person.date_of_birth == HISTORY.person.date_of_birth
    got = [
        (p.employer_id, p.employer_name, p.start, p.end, p.contribution_base, p.currency)
        for p in result.periods
    ]
    want = [
        (p.employer_id, p.employer_name, p.start, p.end, p.contribution_base, p.currency)
        for p in HISTORY.periods
    ]
    assert got == want


def test_zeep_reads_enums_and_decimals(client: zeep.Client, codec: ContractXmlCodec) -> None:
    """Enumerations travel by value and decimals keep their precision."""
    clearance = TaxClearance(
        national_id="19800101-1234",
        tax_year=2023,
        status=ClearanceStatus.OUTSTANDING,
        outstanding_amount=Decimal("1234.56"),
        currency="EUR",
        issued_on=dt.date(2024, 3, 1),
    )
    result = _reply(client, "TaxClearance", build_envelope(codec.encode(clearance)))
    assert result.status == "outstanding"
    assert result.outstanding_amount == Decimal("1234.56")
    assert result.tax_year == 2023


def test_zeep_reads_our_fault(client: zeep.Client) -> None:
    """A hub fault reaches a zeep caller as zeep's Fault, with our problem in the detail."""
    data = build_fault(
        "Client",
        "request violates its contract",
        code="schema-violation",
        issues=[FieldIssue(path="/Q/x", reason="bad", code="schema-violation", field="x")],
    )
    with pytest.raises(zeep.exceptions.Fault) as caught:
        _reply(client, "TaxClearance", data)
    assert caught.value.message == "request violates its contract"
    assert caught.value.code.endswith("Client")
    detail = caught.value.detail
    problem = detail.find("{urn:interop-hub:fault:1}problem")
    assert problem.get("code") == "schema-violation"
    assert problem[0].get("field") == "x"


def test_operations_must_be_unique_and_present() -> None:
    """A WSDL without operations, or with two of one name, is a configuration error."""
    with pytest.raises(ValueError, match="unique"):
        render_wsdl([], service_name="S", location=LOCATION)
    with pytest.raises(ValueError, match="unique"):
        render_wsdl([OPERATIONS[0], OPERATIONS[0]], service_name="S", location=LOCATION)
    with pytest.raises(ValueError, match="WSDL name"):
        render_wsdl(OPERATIONS, service_name="Interop Hub", location=LOCATION)


def _contract_schema(wsdl: bytes) -> etree.XMLSchema:
    [schema] = parse_xml(wsdl).xpath(
        "w:types/*[@targetNamespace='urn:interop-hub:contracts:1']", namespaces=WSDL_NS)
    return etree.XMLSchema(etree.fromstring(etree.tostring(schema)))


def test_a_minimised_answer_validates_against_the_wsdl_of_a_minimising_operation(
    codec: ContractXmlCodec,
) -> None:
    """With ``minimised`` the answer element is typed ``PartialContributionHistory`` (every
    element optional, nested types too), so an answer without hidden fields is valid; the
    request keeps the strict type, and so does the same answer in a plain WSDL."""
    from hub.service_layer.security.minimise import minimise, partial_model

    minimising = (dataclasses_replace(OPERATIONS[0], minimised=True), OPERATIONS[1])
    partial_wsdl = render_wsdl(minimising, service_name="S", location=LOCATION)
    strict, partial = _contract_schema(_wsdl()), _contract_schema(partial_wsdl)
    shown = minimise(HISTORY.model_dump(mode="json"), ["periods.start", "as_of"])
    answer = codec.encode_partial(partial_model(ContributionHistory).model_validate(shown),
                                  ContributionHistory)
    assert answer.find(f"{{{answer.nsmap[None]}}}person") is None  # hidden: absent
    assert partial.validate(answer), partial.error_log
    assert not strict.validate(answer)  # the plain WSDL would refuse it
    assert partial.validate(codec.encode(HISTORY))  # a full answer is still valid
    query = codec.encode(ContributionHistoryQuery(national_id="19800101-1234",
                                                  period_start=dt.date(2000, 1, 1),
                                                  period_end=dt.date(2026, 12, 31)))
    incomplete = copy.deepcopy(query)
    incomplete.remove(incomplete[0])
    assert partial.validate(query) and not partial.validate(incomplete)  # requests stay strict
    types = parse_xml(partial_wsdl).xpath("//xs:complexType/@name",
                                          namespaces={"xs": "http://www.w3.org/2001/XMLSchema"})
    assert {"PartialContributionHistory", "PartialPersonIdentity",
            "PartialInsuredPeriod", "PersonIdentity"} <= set(types)
