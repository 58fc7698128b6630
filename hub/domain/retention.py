"""How long personal data is kept: retention periods, and the keys' expiry buckets.

Every purpose a service declares may state a retention period, an ISO 8601
duration (``retention = "P5Y"``). What the hub stores for that purpose — the
request and the answer of an exchange — is then sealed under a data key whose
**scope** is ``(subject, purpose, bucket)``:

- one key per data subject, because forgetting a person must destroy their
  data and no one else's;
- per purpose, because one person's data may be kept for five years under one
  purpose and one year under another, and because the record of an expiry then
  says whose data of which purpose became unreadable;
- per **expiry bucket**, the calendar month (UTC) in which the retention period
  of data sealed at that moment ends (``sealed_at + retention``). The key of a
  bucket is destroyed once the month is over, which makes exactly the data
  whose period ended in that month unreadable.

The bound this gives: data becomes unreadable no earlier than its period ends
and at most one bucket's width (a calendar month, 31 days) after it, plus the
enforcer's interval. A finer bucket (a day) would keep the promise more tightly
but multiply the keys — a person queried for one purpose every day would hold
one key per day instead of one per month — and the keys are read on the hot
path (each is cached like a subject key, so the reads per exchange do not grow
with the bucket count). A month is what a retention period of years is usually
stated in.

Data sealed without a retention period (a purpose that declares none, records
sent to subscribers, exchanges decided by a peer region) keeps the subject's
own key, kept until the subject is forgotten. Forgetting a subject destroys all
of their keys, whatever their scope.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any, cast

import isodate

from contracts.errors import HubError

_PROBE = dt.datetime(2000, 1, 31, tzinfo=dt.UTC)  # a month end: exposes month arithmetic
MAX_YEARS = 1000
"""The longest period accepted: data sealed any time before year 8999 must still get a date
(datetime ends at 9999), and a thousand years is already "kept until forgotten"."""


class RetentionPeriodError(HubError):
    """Raised when a retention period is not a positive ISO 8601 duration (or a bucket not a
    month); loading services turns it into the purpose's definition error."""

    code = "bad-retention"
    status = 400


@dataclass(frozen=True)
class KeyScope:
    """What one data key seals: a subject's data for one purpose, expiring in one month."""

    subject: str
    purpose: str
    bucket: str  # YYYY-MM: the month (UTC) in which the data's retention period ends

    @property
    def expires_at(self) -> dt.datetime:
        """When the key is destroyed: the first instant (UTC) after its bucket."""
        return bucket_end(self.bucket)


def check_period(text: str) -> str:
    """``text`` if it is a positive ISO 8601 duration (``P5Y``, ``P18M``, ``P30D``), else raise."""
    duration = _parse(text)
    try:
        later = _PROBE + duration
    except (ValueError, TypeError, OverflowError) as exc:
        raise RetentionPeriodError(f"{text!r} cannot be added to a date: {exc}") from None
    if later <= _PROBE:
        raise RetentionPeriodError(f"{text!r} is not a positive duration")
    if later > _PROBE.replace(year=_PROBE.year + MAX_YEARS):
        raise RetentionPeriodError(
            f"{text!r} is longer than {MAX_YEARS} years: state a real period, or none to keep "
            "the data until the subject is forgotten")
    return text


def kept_until(sealed_at: dt.datetime, period: str) -> dt.datetime:
    """When the retention period of data sealed at ``sealed_at`` ends."""
    return cast(dt.datetime, sealed_at.astimezone(dt.UTC) + _checked(period))


@functools.lru_cache(maxsize=1024)
def _checked(period: str) -> Any:
    """``period`` parsed, once checked: every sealed event asks, and a deployment declares
    a handful of periods (a refusal is raised each time, never cached)."""
    return _parse(check_period(period))


def expiry_bucket(sealed_at: dt.datetime, period: str) -> str:
    """The bucket (``YYYY-MM``) of data sealed at ``sealed_at`` and kept for ``period``."""
    utc = sealed_at.astimezone(dt.UTC)
    if _whole_days(period):  # the bucket depends on the day sealed only: asked once a day
        return _day_bucket(utc.date(), period)
    return f"{utc + _checked(period):%Y-%m}"


@functools.lru_cache(maxsize=1024)
def _day_bucket(day: dt.date, period: str) -> str:
    # Every sealed event and every projected exchange asks; isodate's calendar arithmetic
    # was about 2 % of a hub process's CPU per query.
    return f"{day + _checked(period):%Y-%m}"


@functools.lru_cache(maxsize=1024)
def _whole_days(period: str) -> bool:
    """Whether ``period`` is in years, months, weeks or days only (no hours, minutes...)."""
    parsed = _checked(period)
    rest = parsed.tdelta if isinstance(parsed, isodate.Duration) else parsed
    return bool(rest.seconds == 0 and rest.microseconds == 0)


def scope_of(subject: str, purpose: str, period: str, sealed_at: dt.datetime) -> KeyScope | None:
    """The key scope of data about ``subject`` sealed at ``sealed_at``; None without a period."""
    if not period:
        return None
    return KeyScope(subject, purpose, expiry_bucket(sealed_at, period))


def bucket_end(bucket: str) -> dt.datetime:
    """The first instant (UTC) after the month ``bucket`` (``YYYY-MM``)."""
    try:
        year, month = (int(part) for part in bucket.split("-"))
        first = dt.datetime(year, month, 1, tzinfo=dt.UTC)
    except ValueError:
        raise RetentionPeriodError(f"{bucket!r} is not an expiry bucket (YYYY-MM)") from None
    return first.replace(year=year + 1, month=1) if month == 12 else first.replace(month=month + 1)


def _parse(text: str) -> Any:
    try:
        return isodate.parse_duration(text)
    except (isodate.ISO8601Error, ValueError, TypeError):
        raise RetentionPeriodError(
            f"{text!r} is not an ISO 8601 duration (e.g. P5Y, P18M, P90D)"
        ) from None
