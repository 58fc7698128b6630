"""Time limits count calendar days, or working days that skip weekends and holidays."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.domain.time_limit import HolidayCalendar, LimitUnit, TimeLimit, TimeLimitError

UTC = dt.UTC
CALENDAR = HolidayCalendar("north", frozenset({dt.date(2026, 12, 24), dt.date(2026, 12, 25)}))


def test_limits_read_as_written() -> None:
    assert TimeLimit.parse("10 working days") == TimeLimit(10, LimitUnit.WORKING)
    assert TimeLimit.parse("1 calendar day") == TimeLimit(1, LimitUnit.CALENDAR)
    assert str(TimeLimit(3, LimitUnit.WORKING)) == "3 working days"


@pytest.mark.parametrize("text", ["10 work days", "ten working days", "0 calendar days",
                                  "401 calendar days", 10, ""])
def test_anything_else_is_refused_with_what_is_expected(text: object) -> None:
    with pytest.raises(TimeLimitError, match="time limit"):
        TimeLimit.parse(text)


def test_calendar_days_run_through_weekends_and_holidays() -> None:
    start = dt.datetime(2026, 12, 23, 9, 30, tzinfo=UTC)
    assert CALENDAR.due(start, TimeLimit(3, LimitUnit.CALENDAR)) == dt.datetime(
        2026, 12, 26, 9, 30, tzinfo=UTC)


def test_working_days_skip_weekends_and_the_regions_holidays() -> None:
    # Wednesday 23 Dec + 2 working days: 24 and 25 are holidays, 26-27 a weekend.
    start = dt.datetime(2026, 12, 23, 9, 30, tzinfo=UTC)
    assert CALENDAR.due(start, TimeLimit(2, LimitUnit.WORKING)) == dt.datetime(
        2026, 12, 29, 9, 30, tzinfo=UTC)


def test_a_limit_started_on_a_weekend_counts_from_the_next_working_day() -> None:
    saturday = dt.datetime(2026, 12, 5, 18, 0, tzinfo=UTC)
    assert CALENDAR.due(saturday, TimeLimit(1, LimitUnit.WORKING)) == dt.datetime(
        2026, 12, 7, 18, 0, tzinfo=UTC)


def test_hours_minutes_and_seconds_read_as_written() -> None:
    assert TimeLimit.parse("4 hours") == TimeLimit(4, LimitUnit.HOUR)
    assert TimeLimit.parse("1 minute") == TimeLimit(1, LimitUnit.MINUTE)
    assert TimeLimit.parse(" 90 seconds ") == TimeLimit(90, LimitUnit.SECOND)
    assert str(TimeLimit(4, LimitUnit.HOUR)) == "4 hours"
    assert str(TimeLimit(1, LimitUnit.SECOND)) == "1 second"


@pytest.mark.parametrize("text", ["0 hours", "9601 hours", "4 hrs", "4 working hours"])
def test_an_elapsed_limit_is_one_second_to_four_hundred_days(text: str) -> None:
    with pytest.raises(TimeLimitError, match="time limit"):
        TimeLimit.parse(text)


def test_hours_run_straight_through_nights_weekends_and_holidays() -> None:
    """An urgent service's 4 hours started on Christmas Eve evening end that night."""
    start = dt.datetime(2026, 12, 24, 22, 0, tzinfo=UTC)
    assert CALENDAR.due(start, TimeLimit(4, LimitUnit.HOUR)) == dt.datetime(
        2026, 12, 25, 2, 0, tzinfo=UTC)
    assert CALENDAR.due(start, TimeLimit(3, LimitUnit.SECOND)) == start + dt.timedelta(
        seconds=3)
