"""The pure mapping between the bureau's legacy SOAP dialect and the contribution history."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from adapters.errors import MappingError
from adapters.social_security_soap import legacy_to_history, query_to_legacy
from contracts.errors import ContractError
from contracts.social_security import ContributionHistoryQuery

ANSWER: dict[str, Any] = {
    "Holder": {
        "PersNo": "19800101-1234",
        "Surname": "Andersson",
        "Forenames": "Maria Elena",
        "BirthDt": "01.01.1980",
    },
    "Period": [
        {
            "EmplNo": "556987-6543",
            "EmplName": "Harbour Logistics Ltd",
            "BeginDt": "01.08.2008",
            "EndDt": "31.12.2015",
            "ContribBaseCents": 31870050,
            "Curr": "EUR",
        },
        {
            "EmplNo": "559101-2020",
            "EmplName": "Brightline Software",
            "BeginDt": "01.01.2016",
            "EndDt": "00.00.0000",
            "ContribBaseCents": 0,
            "Curr": "EUR",
        },
    ],
    "ExtractDt": "28.11.2026",
}


def answer(**changes: Any) -> dict[str, Any]:
    """A copy of ANSWER with ``Period_<n>_<Element>`` or top-level keys replaced."""
    data = copy.deepcopy(ANSWER)
    for key, value in changes.items():
        if key.startswith("Period_"):
            _, index, element = key.split("_", 2)
            data["Period"][int(index) - 1][element] = value
        else:
            data[key] = value
    return data


def test_query_becomes_legacy_request_with_dotted_dates() -> None:
    """A query becomes PersNo/FromDt/ToDt with DD.MM.YYYY dates."""
    query = ContributionHistoryQuery(
        national_id="19800101-1234",
        period_start=dt.date(2010, 3, 5),
        period_end=dt.date(2024, 12, 31),
    )
    assert query_to_legacy(query) == {
        "PersNo": "19800101-1234",
        "FromDt": "05.03.2010",
        "ToDt": "31.12.2024",
    }


def test_full_answer_maps_onto_the_contract() -> None:
    """Holder, periods and extract date map onto person, periods and as_of."""
    history = legacy_to_history(ANSWER)
    assert history.person.national_id == "19800101-1234"
    assert history.person.family_name == "Andersson"
    assert history.person.given_names == "Maria Elena"
    assert history.person.date_of_birth == dt.date(1980, 1, 1)
    first = history.periods[0]
    assert (first.employer_id, first.employer_name) == ("556987-6543", "Harbour Logistics Ltd")
    assert (first.start, first.end) == (dt.date(2008, 8, 1), dt.date(2015, 12, 31))
    assert history.as_of == dt.date(2026, 11, 28)


def test_cents_become_decimal_with_two_places() -> None:
    """ContribBaseCents become an exact Decimal with two decimal places, zero included."""
    history = legacy_to_history(ANSWER)
    assert history.periods[0].contribution_base == Decimal("318700.50")
    assert str(history.periods[1].contribution_base) == "0.00"


def test_open_period_sentinel_becomes_none() -> None:
    """EndDt 00.00.0000 marks an open period: end is None."""
    assert legacy_to_history(ANSWER).periods[1].end is None


@pytest.mark.parametrize("periods", [[], None])
def test_person_without_periods_maps_to_empty_list(periods: Any) -> None:
    """No Period elements (an empty list or absent) give an empty periods list."""
    assert legacy_to_history(answer(Period=periods)).periods == []


def test_impossible_date_names_the_legacy_path() -> None:
    """A date the pattern allows but the calendar does not is a MappingError at its legacy path."""
    with pytest.raises(MappingError) as caught:
        legacy_to_history(answer(Period_2_BeginDt="31.02.2016"))
    (issue,) = caught.value.issues
    assert issue.path == "/GetInsuranceRecordResponse/Period[2]/BeginDt"
    assert issue.field == "periods.1.start"
    assert issue.code == "malformed"


def test_open_sentinel_is_refused_where_a_date_is_required() -> None:
    """00.00.0000 is only meaningful as EndDt; as BeginDt it is malformed."""
    with pytest.raises(MappingError) as caught:
        legacy_to_history(answer(Period_1_BeginDt="00.00.0000"))
    assert caught.value.issues[0].path == "/GetInsuranceRecordResponse/Period[1]/BeginDt"


def test_every_unreadable_element_is_reported_at_once() -> None:
    """All unreadable elements are listed, not only the first."""
    with pytest.raises(MappingError) as caught:
        legacy_to_history(answer(ExtractDt="2026-11-28", Period_1_ContribBaseCents="12.5"))
    paths = {issue.path for issue in caught.value.issues}
    assert paths == {
        "/GetInsuranceRecordResponse/ExtractDt",
        "/GetInsuranceRecordResponse/Period[1]/ContribBaseCents",
    }


def test_missing_holder_is_a_mapping_error() -> None:
    """An answer without Holder cannot be mapped and says so at /Holder."""
    with pytest.raises(MappingError) as caught:
        legacy_to_history(answer(Holder=None))
    assert caught.value.issues[0].path == "/GetInsuranceRecordResponse/Holder"


def test_no_answer_is_a_mapping_error() -> None:
    """A missing response element (None) is a MappingError at the root."""
    with pytest.raises(MappingError) as caught:
        legacy_to_history(None)
    assert caught.value.issues[0].path == "/GetInsuranceRecordResponse"


def test_contract_violation_names_the_legacy_element() -> None:
    """A mapped value the contract refuses is a ContractError pointing at the legacy element."""
    with pytest.raises(ContractError) as caught:
        legacy_to_history(answer(Period_2_Curr="eur"))
    (issue,) = caught.value.issues
    assert issue.path == "/GetInsuranceRecordResponse/Period[2]/Curr"
    assert issue.field == "periods.1.currency"
