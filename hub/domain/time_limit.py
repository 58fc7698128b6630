"""Time limits of case steps and cases: so many calendar or working days, or so many
hours, minutes or seconds, from a start.

A working day is a weekday that is not one of the region's holidays. A limit of N working
days started at some moment falls due at the same time of day N working days later (a
start on a non-working day counts from the next working day), so that a limit promised
on Friday evening is not shortened by the weekend. Hours, minutes and seconds are elapsed
time, counted straight through nights, weekends and holidays: the limits of urgent
services (an emergency allowance decided within "4 hours") and of automated checks.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from contracts.errors import HubError

_LIMIT = re.compile(
    r"^\s*(\d{1,8})\s+(?:(calendar|working)\s+days?|(hour|minute|second)s?)\s*$")
MAX_DAYS = 400
"""The longest limit a case type may promise: more than a year is a typo, not a promise."""
_LONGEST = dt.timedelta(days=MAX_DAYS)


class LimitUnit(StrEnum):
    """What a limit counts: days of a kind, or elapsed hours, minutes or seconds."""

    CALENDAR = "calendar"
    WORKING = "working"
    HOUR = "hour"
    MINUTE = "minute"
    SECOND = "second"


_ELAPSED = {LimitUnit.HOUR: dt.timedelta(hours=1), LimitUnit.MINUTE: dt.timedelta(minutes=1),
            LimitUnit.SECOND: dt.timedelta(seconds=1)}


class TimeLimitError(HubError):
    """Raised when a time limit is not written ``N calendar days``, ``N working days``,
    ``N hours``, ``N minutes`` or ``N seconds`` (1 s to 400 days)."""

    code = "invalid-time-limit"
    status = 422


@dataclass(frozen=True)
class TimeLimit:
    """So many units, e.g. ``10 working days`` or ``4 hours``."""

    amount: int
    unit: LimitUnit

    @classmethod
    def parse(cls, text: object) -> TimeLimit:
        match = _LIMIT.match(text) if isinstance(text, str) else None
        if match is None:
            raise TimeLimitError(f"{text!r} is not a time limit such as '10 working days' "
                                 "or '4 hours'")
        limit = cls(int(match.group(1)), LimitUnit(match.group(2) or match.group(3)))
        if limit.amount < 1 or limit.nominal > _LONGEST:
            raise TimeLimitError(f"{text!r}: a time limit is 1 second to {MAX_DAYS} days")
        return limit

    @property
    def nominal(self) -> dt.timedelta:
        """Its length counted straight through (working days as calendar days: the least
        it can last)."""
        return self.amount * _ELAPSED.get(self.unit, dt.timedelta(days=1))

    def __str__(self) -> str:
        plural = "s" if self.amount != 1 else ""
        if self.unit in _ELAPSED:
            return f"{self.amount} {self.unit}{plural}"
        return f"{self.amount} {self.unit} day{plural}"


@dataclass(frozen=True)
class HolidayCalendar:
    """A region's public holidays (the days its departments do not count)."""

    region: str
    holidays: frozenset[dt.date]

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def due(self, start: dt.datetime, limit: TimeLimit) -> dt.datetime:
        """When a limit started at ``start`` falls due."""
        if limit.unit is not LimitUnit.WORKING:
            return start + limit.nominal
        day = start.date()
        counted = 0
        # Bounded: at most the limit plus every weekend and holiday in between.
        for _ in range(limit.amount * 7 + len(self.holidays) + 7):
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
                if counted == limit.amount:
                    return dt.datetime.combine(day, start.timetz())
        raise TimeLimitError(f"no {limit} after {start.date()} in {self.region}'s calendar")
