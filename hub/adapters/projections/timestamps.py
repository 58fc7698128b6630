"""Event times in read models: integer microseconds since the epoch (exact, portable, sortable)."""

from __future__ import annotations

import datetime as dt

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_ONE_US = dt.timedelta(microseconds=1)


def to_micros(moment: dt.datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    return (moment - EPOCH) // _ONE_US


def from_micros(micros: int) -> dt.datetime:
    """The UTC datetime of a microsecond count."""
    return EPOCH + dt.timedelta(microseconds=micros)
