"""The pure mapping between the tax bureau's JSON shape and the tax-clearance contract."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from adapters.errors import MappingError
from adapters.tax_json import query_to_request, response_to_clearance
from contracts.errors import ContractError
from contracts.tax import ClearanceStatus, TaxClearanceQuery


def body(**changes: Any) -> dict[str, Any]:
    """A well-formed bureau answer with some keys replaced."""
    data: dict[str, Any] = {
        "tin": "19751224-5678",
        "year": 2024,
        "state": "DEBT",
        "debt": {"amountCents": 98050, "ccy": "EUR"},
        "issued": "2026-11-28T10:00:00Z",
    }
    data.update(changes)
    return data


def test_query_becomes_path_and_year_parameter() -> None:
    """A query becomes /v2/taxpayers/{tin}/clearance?year=YYYY."""
    query = TaxClearanceQuery(national_id="19751224-5678", tax_year=2024)
    assert query_to_request(query) == (
        "/v2/taxpayers/19751224-5678/clearance",
        {"year": "2024"},
    )


def test_full_answer_maps_onto_the_contract() -> None:
    """tin, year, state, debt and issued map onto the contract's fields."""
    clearance = response_to_clearance(body())
    assert clearance.national_id == "19751224-5678"
    assert clearance.tax_year == 2024
    assert clearance.status is ClearanceStatus.OUTSTANDING
    assert clearance.outstanding_amount == Decimal("980.50")
    assert clearance.currency == "EUR"
    assert clearance.issued_on == dt.date(2026, 11, 28)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("OK", ClearanceStatus.CLEARED),
        ("DEBT", ClearanceStatus.OUTSTANDING),
        ("REVIEW", ClearanceStatus.UNDER_REVIEW),
    ],
)
def test_state_codes_map_through_the_code_table(code: str, status: ClearanceStatus) -> None:
    """Each bureau state code maps to one clearance status."""
    assert response_to_clearance(body(state=code)).status is status


def test_zero_debt_has_two_decimal_places() -> None:
    """amountCents 0 becomes Decimal 0.00."""
    clearance = response_to_clearance(body(state="OK", debt={"amountCents": 0, "ccy": "EUR"}))
    assert str(clearance.outstanding_amount) == "0.00"


def test_unknown_state_code_names_the_path_and_the_code() -> None:
    """An unknown state code is a MappingError at /state naming the code."""
    with pytest.raises(MappingError) as caught:
        response_to_clearance(body(state="FROZEN"))
    (issue,) = caught.value.issues
    assert issue.path == "/state"
    assert issue.code == "unknown-code"
    assert "FROZEN" in issue.reason


def test_issued_with_offset_becomes_the_utc_day() -> None:
    """An issued timestamp with an offset counts on the UTC calendar day."""
    clearance = response_to_clearance(body(issued="2026-11-29T00:30:00+02:00"))
    assert clearance.issued_on == dt.date(2026, 11, 28)


@pytest.mark.parametrize("issued", ["28.11.2026", None, 20261128])
def test_unreadable_issued_is_a_mapping_error(issued: Any) -> None:
    """A missing or non-ISO issued timestamp is a MappingError at /issued."""
    with pytest.raises(MappingError) as caught:
        response_to_clearance(body(issued=issued))
    assert [issue.path for issue in caught.value.issues] == ["/issued"]


@pytest.mark.parametrize("debt", [None, {"amountCents": "980.50", "ccy": "EUR"}])
def test_missing_or_non_integer_debt_is_a_mapping_error(debt: Any) -> None:
    """Debt must be an object with integer amountCents."""
    with pytest.raises(MappingError) as caught:
        response_to_clearance(body(debt=debt))
    assert caught.value.issues[0].path in {"/debt", "/debt/amountCents"}


def test_non_object_answer_is_a_mapping_error() -> None:
    """A JSON array or scalar is not an answer."""
    with pytest.raises(MappingError) as caught:
        response_to_clearance(["OK"])
    assert caught.value.issues[0].path == "$"


def test_contract_violation_points_into_the_bureau_json() -> None:
    """A value the contract refuses is a ContractError at its bureau JSON Pointer."""
    with pytest.raises(ContractError) as caught:
        response_to_clearance(body(debt={"amountCents": 100, "ccy": "euro"}))
    (issue,) = caught.value.issues
    assert (issue.path, issue.field) == ("/debt/ccy", "currency")
