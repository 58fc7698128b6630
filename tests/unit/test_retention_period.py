"""Retention periods and expiry buckets (hub.domain.retention), and the purposes that state them."""

from __future__ import annotations

import datetime as dt

import pytest

from contracts.social_security import ContributionHistory
from hub.domain.retention import (
    KeyScope,
    RetentionPeriodError,
    bucket_end,
    check_period,
    expiry_bucket,
    kept_until,
    scope_of,
)
from hub.service_layer.security.purposes import Purpose, dump_purposes, parse_purposes
from hub.service_layer.security.refusals import PurposeDefinitionError

UTC = dt.UTC


@pytest.mark.parametrize("period", ["P5Y", "P18M", "P90D", "P1W", "PT1H", "P1Y2M3DT4H", "PT1S",
                                    "P1000Y"])
def test_positive_iso_durations_are_accepted(period: str) -> None:
    """Any positive ISO 8601 duration is a retention period, returned as written."""
    assert check_period(period) == period


@pytest.mark.parametrize(("period", "reason"), [
    ("5Y", "not an ISO 8601 duration"),
    ("P", "not an ISO 8601 duration"),
    ("five years", "not an ISO 8601 duration"),
    ("P0D", "not a positive duration"),
    ("-P1D", "not a positive duration"),
    ("P1.5Y", "cannot be added to a date"),
    ("PT0S", "not a positive duration"),
    ("garbage", "not an ISO 8601 duration"),
    # Accepted before, then every exchange sealed for the purpose failed: 2026 + 7990
    # is past the last year a date can hold.
    ("P7990Y", "longer than 1000 years"),
    ("P1000Y1D", "longer than 1000 years"),
    ("P1000000Y", "cannot be added to a date"),
])
def test_other_periods_are_refused_saying_why(period: str, reason: str) -> None:
    """A period that is not a positive duration is refused with the reason."""
    with pytest.raises(RetentionPeriodError, match=reason):
        check_period(period)


def test_the_longest_period_accepted_still_dates_data_sealed_centuries_from_now() -> None:
    """Whatever check_period accepts, kept_until can date (no overflow on the hot path)."""
    sealed = dt.datetime(2999, 12, 31, 23, 59, tzinfo=UTC)
    assert kept_until(sealed, "P1000Y").year == 3999


def test_the_bucket_is_the_month_in_which_the_period_ends() -> None:
    """Data sealed on 31 January and kept a month ends its period in February (the month
    end is clamped), so its bucket is February and its key goes on 1 March."""
    sealed = dt.datetime(2024, 1, 31, 15, 0, tzinfo=UTC)
    assert kept_until(sealed, "P1M") == dt.datetime(2024, 2, 29, 15, 0, tzinfo=UTC)
    assert expiry_bucket(sealed, "P1M") == "2024-02"
    assert bucket_end("2024-02") == dt.datetime(2024, 3, 1, tzinfo=UTC)
    assert expiry_bucket(sealed, "P5Y") == "2029-01"


def test_a_december_bucket_ends_on_new_year() -> None:
    """The year rolls over at the end of a December bucket."""
    assert bucket_end("2031-12") == dt.datetime(2032, 1, 1, tzinfo=UTC)


def test_data_never_expires_early_and_at_most_one_month_late() -> None:
    """The stated bound: the key goes after the period ends, and no later than 31 days after."""
    start = dt.datetime(2026, 1, 1, tzinfo=UTC)
    for hours in range(0, 24 * 400, 37):
        sealed = start + dt.timedelta(hours=hours)
        for period in ("P1M", "P5Y", "P90D"):
            ends, destroyed = kept_until(sealed, period), bucket_end(expiry_bucket(sealed, period))
            assert ends < destroyed <= ends + dt.timedelta(days=31)


def test_the_bucket_is_the_month_of_the_exact_end_whatever_the_clock_and_the_period() -> None:
    """The bucket, computed once per day sealed for periods of whole days, is the month of
    the exact end of the period for any instant (a local clock's included: sealed at 23:30
    in UTC-5 is the next day in UTC) and for periods with hours too."""
    start = dt.datetime(2026, 1, 1, tzinfo=UTC)
    clocks = [UTC, dt.timezone(dt.timedelta(hours=-5)), dt.timezone(dt.timedelta(hours=13))]
    for step in range(0, 24 * 800, 7):
        sealed = (start + dt.timedelta(hours=step, minutes=step % 60)).astimezone(
            clocks[step % 3])
        for period in ("P1M", "P5Y", "P90D", "P1Y6M", "P2W", "PT36H", "P1DT12H"):
            assert expiry_bucket(sealed, period) == f"{kept_until(sealed, period):%Y-%m}", (
                sealed, period)


def test_data_without_a_period_keeps_the_subjects_own_key() -> None:
    """No period: no scope (the subject's key, kept until forgotten)."""
    at = dt.datetime(2026, 12, 6, tzinfo=UTC)
    assert scope_of("ds-1", "p", "", at) is None
    assert scope_of("ds-1", "p", "P1Y", at) == KeyScope("ds-1", "p", "2027-12")


def _tables(**extra: object) -> list[dict[str, object]]:
    return [{"name": "audit", "legal_basis": "Act s. 1", "fields": ["as_of"], **extra}]


def test_a_purpose_states_its_retention_in_the_services_file() -> None:
    """``retention = "P5Y"`` is read, and written back by dump_purposes."""
    purposes = parse_purposes(_tables(retention="P5Y"), ContributionHistory, where="f.toml")
    assert purposes == (Purpose("audit", ("as_of",), "Act s. 1", retention="P5Y"),)
    assert 'retention = "P5Y"' in dump_purposes(purposes)
    assert parse_purposes(_tables(), ContributionHistory, where="f.toml")[0].retention == ""


@pytest.mark.parametrize("value", ["5 years", 5, "P0D"])
def test_a_bad_retention_is_refused_naming_the_purpose_and_field(value: object) -> None:
    """A retention that is no positive ISO 8601 duration refuses the services file, naming the
    file, the purpose and the field."""
    with pytest.raises(PurposeDefinitionError) as caught:
        parse_purposes(_tables(retention=value), ContributionHistory, where="north.toml")
    assert "north.toml, purpose audit: retention" in caught.value.message
    assert [issue.field for issue in caught.value.issues] == ["retention"]
