"""Time limits count calendar days, or working days that skip weekends and holidays."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.domain.time_limit import DayKind, HolidayCalendar, TimeLimit, TimeLimitError

UTC = dt.UTC
CALENDAR = HolidayCalendar("north", frozenset({dt.date(2026, 12, 24), dt.date(2026, 12, 25)}))


def test_limits_read_as_written() -> None:
    assert TimeLimit.parse("10 working days") == TimeLimit(10, DayKind.WORKING)
    assert TimeLimit.parse("1 calendar day") == TimeLimit(1, DayKind.CALENDAR)
    assert str(TimeLimit(3, DayKind.WORKING)) == "3 working days"


@pytest.mark.parametrize("text", ["10 work days", "ten working days", "0 calendar days",
                                  "401 calendar days", 10, ""])
def test_anything_else_is_refused_with_what_is_expected(text: object) -> None:
    with pytest.raises(TimeLimitError, match="time limit"):
        TimeLimit.parse(text)


def test_calendar_days_run_through_weekends_and_holidays() -> None:
    start = dt.datetime(2026, 12, 23, 9, 30, tzinfo=UTC)
    assert CALENDAR.due(start, TimeLimit(3, DayKind.CALENDAR)) == dt.datetime(
        2026, 12, 26, 9, 30, tzinfo=UTC)


def test_working_days_skip_weekends_and_the_regions_holidays() -> None:
    # Wednesday 23 Dec + 2 working days: 24 and 25 are holidays, 26-27 a weekend.
    start = dt.datetime(2026, 12, 23, 9, 30, tzinfo=UTC)
    assert CALENDAR.due(start, TimeLimit(2, DayKind.WORKING)) == dt.datetime(
        2026, 12, 29, 9, 30, tzinfo=UTC)


def test_a_limit_started_on_a_weekend_counts_from_the_next_working_day() -> None:
    saturday = dt.datetime(2026, 12, 5, 18, 0, tzinfo=UTC)
    assert CALENDAR.due(saturday, TimeLimit(1, DayKind.WORKING)) == dt.datetime(
        2026, 12, 7, 18, 0, tzinfo=UTC)
