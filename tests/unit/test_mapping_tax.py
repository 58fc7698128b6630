"""The shipped tax mapping: the bureau's JSON shape <-> tax clearance."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from contracts.errors import ContractError
from contracts.tax import ClearanceStatus, TaxClearanceQuery
from simulations.departments import TAX_MAPPING
from translation.errors import MalformedInput, MappingError, SchemaViolation
from translation.mapping import load_mapping
from translation.mapping.compiled import CompiledMapping
from translation.mapping.json_plan import JsonSection


@pytest.fixture(scope="module")
def mapping() -> CompiledMapping:
    return load_mapping(TAX_MAPPING)


@pytest.fixture(scope="module")
def response(mapping: CompiledMapping) -> JsonSection:
    assert isinstance(mapping.response, JsonSection)
    return mapping.response


def body(**changes: Any) -> bytes:
    """A well-formed bureau answer with some members replaced."""
    data: dict[str, Any] = {
        "tin": "19751224-5678",
        "year": 2024,
        "state": "DEBT",
        "debt": {"amountCents": 98050, "ccy": "EUR"},
        "issued": "2026-11-28T10:00:00Z",
    }
    data.update(changes)
    return json.dumps(data).encode()


def test_query_becomes_path_and_year_parameter(mapping: CompiledMapping) -> None:
    """A query becomes GET /v2/taxpayers/{tin}/clearance?year=YYYY, without a body."""
    query = TaxClearanceQuery(national_id="19751224-5678", tax_year=2024)
    assert mapping.route is not None
    assert mapping.route.render(mapping.request.encode(query)) == (
        "/v2/taxpayers/19751224-5678/clearance?year=2024", None)


def test_request_target_decodes_back_to_the_query(mapping: CompiledMapping) -> None:
    """The request URL parses back into the same query (the request direction's decode)."""
    assert mapping.route is not None
    document = mapping.route.parse("/v2/taxpayers/19751224-5678/clearance?year=2024")
    assert mapping.request.decode(document) == TaxClearanceQuery(
        national_id="19751224-5678", tax_year=2024)


def test_full_answer_maps_onto_the_contract(response: JsonSection) -> None:
    """tin, year, state, debt and issued map onto the contract's fields."""
    clearance = response.decode_bytes(body())
    assert clearance.national_id == "19751224-5678"
    assert clearance.tax_year == 2024
    assert clearance.status is ClearanceStatus.OUTSTANDING
    assert clearance.outstanding_amount == Decimal("980.50")
    assert clearance.currency == "EUR"
    assert clearance.issued_on == dt.date(2026, 11, 28)


@pytest.mark.parametrize(
    ("code", "status"),
    [("OK", ClearanceStatus.CLEARED), ("DEBT", ClearanceStatus.OUTSTANDING),
     ("REVIEW", ClearanceStatus.UNDER_REVIEW)],
)
def test_state_codes_map_through_the_code_table(response: JsonSection, code: str,
                                                status: ClearanceStatus) -> None:
    """Each bureau state code maps to one clearance status."""
    assert response.decode_bytes(body(state=code)).status is status


def test_zero_debt_has_two_decimal_places(response: JsonSection) -> None:
    """amountCents 0 becomes Decimal 0.00."""
    clearance = response.decode_bytes(body(state="OK", debt={"amountCents": 0, "ccy": "EUR"}))
    assert str(clearance.outstanding_amount) == "0.00"


def test_unknown_state_code_names_the_path_and_the_code(response: JsonSection) -> None:
    """An unknown state code is a MappingError at /state naming the code."""
    with pytest.raises(MappingError) as caught:
        response.decode_bytes(body(state="FROZEN"))
    (issue,) = caught.value.issues
    assert (issue.path, issue.code, issue.field) == ("/state", "unknown-code", "status")
    assert "FROZEN" in issue.reason


def test_issued_with_offset_becomes_the_utc_day(response: JsonSection) -> None:
    """An issued timestamp with an offset counts on the UTC calendar day."""
    clearance = response.decode_bytes(body(issued="2026-11-29T00:30:00+02:00"))
    assert clearance.issued_on == dt.date(2026, 11, 28)


@pytest.mark.parametrize(("issued", "error"), [("28.11.2026", MappingError),
                                               (None, SchemaViolation),
                                               (20261128, SchemaViolation)])
def test_unreadable_issued_is_named(response: JsonSection, issued: Any, error: type) -> None:
    """A missing or non-ISO issued timestamp is refused at /issued."""
    with pytest.raises(error) as caught:
        response.decode_bytes(body(issued=issued))
    assert [issue.path for issue in caught.value.issues] == ["/issued"]


@pytest.mark.parametrize(("debt", "path"), [
    (None, "/debt"), ({"amountCents": "980.50", "ccy": "EUR"}, "/debt/amountCents")])
def test_missing_or_non_integer_debt_is_a_schema_violation(response: JsonSection, debt: Any,
                                                           path: str) -> None:
    """Debt must be an object with integer amountCents (the bureau's JSON Schema)."""
    with pytest.raises(SchemaViolation) as caught:
        response.decode_bytes(body(debt=debt))
    assert [issue.path for issue in caught.value.issues] == [path]


def test_non_object_answer_is_named_as_a_whole(response: JsonSection) -> None:
    """A JSON array is not an answer: the issue is at $."""
    with pytest.raises(SchemaViolation) as caught:
        response.decode_bytes(b'["OK"]')
    assert caught.value.issues[0].path == "$"


def test_not_json_is_malformed(response: JsonSection) -> None:
    """Bytes that are not JSON are MalformedInput, not a schema violation."""
    with pytest.raises(MalformedInput):
        response.decode_bytes(b"<html>")


def test_contract_violation_points_into_the_bureau_json(response: JsonSection) -> None:
    """A value the contract refuses is a ContractError at its bureau JSON Pointer."""
    with pytest.raises(ContractError) as caught:
        response.decode_bytes(body(debt={"amountCents": 100, "ccy": "euro"}))
    (issue,) = caught.value.issues
    assert (issue.path, issue.field) == ("/debt/ccy", "currency")


def test_encoded_answer_is_the_bureau_shape(response: JsonSection) -> None:
    """Encoding writes cents, a state code and a UTC midnight timestamp, schema-valid."""
    clearance = response.decode_bytes(body())
    assert response.encode(clearance) == {
        "tin": "19751224-5678", "year": 2024, "state": "DEBT",
        "debt": {"amountCents": 98050, "ccy": "EUR"}, "issued": "2026-11-28T00:00:00Z"}
