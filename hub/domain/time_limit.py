"""Time limits of case steps and cases: so many calendar or working days from a start.

A working day is a weekday that is not one of the region's holidays. A limit of N working
days started at some moment falls due at the same time of day N working days later (a
start on a non-working day counts from the next working day), so that a limit promised
on Friday evening is not shortened by the weekend.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from contracts.errors import HubError

_LIMIT = re.compile(r"^\s*(\d{1,3})\s+(calendar|working)\s+days?\s*$")
MAX_DAYS = 400
"""The longest limit a case type may promise: more than a year is a typo, not a promise."""


class DayKind(StrEnum):
    """How the days of a limit are counted."""

    CALENDAR = "calendar"
    WORKING = "working"


class TimeLimitError(HubError):
    """Raised when a time limit is not written ``N calendar days`` or ``N working days``."""

    code = "invalid-time-limit"
    status = 422


@dataclass(frozen=True)
class TimeLimit:
    """So many days of one kind, e.g. ``10 working days``."""

    days: int
    kind: DayKind

    @classmethod
    def parse(cls, text: object) -> TimeLimit:
        match = _LIMIT.match(text) if isinstance(text, str) else None
        if match is None:
            raise TimeLimitError(f"{text!r} is not a time limit such as '10 working days'")
        days = int(match.group(1))
        if not 1 <= days <= MAX_DAYS:
            raise TimeLimitError(f"{text!r}: a time limit is 1 to {MAX_DAYS} days")
        return cls(days, DayKind(match.group(2)))

    def __str__(self) -> str:
        return f"{self.days} {self.kind} day{'s' if self.days != 1 else ''}"


@dataclass(frozen=True)
class HolidayCalendar:
    """A region's public holidays (the days its departments do not count)."""

    region: str
    holidays: frozenset[dt.date]

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def due(self, start: dt.datetime, limit: TimeLimit) -> dt.datetime:
        """When a limit started at ``start`` falls due."""
        if limit.kind is DayKind.CALENDAR:
            return start + dt.timedelta(days=limit.days)
        day = start.date()
        counted = 0
        # Bounded: at most the limit plus every weekend and holiday in between.
        for _ in range(limit.days * 7 + len(self.holidays) + 7):
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
                if counted == limit.days:
                    return dt.datetime.combine(day, start.timetz())
        raise TimeLimitError(f"no {limit} after {start.date()} in {self.region}'s calendar")
