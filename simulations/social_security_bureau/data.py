"""The bureau's seeded register: a few insured persons and their insured periods.

The national ids are shared with :mod:`simulations.tax_bureau.data`, so that
scenarios can ask both departments about the same people.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class EmploymentPeriod:
    """One insured period with one employer; ``end`` is None while it is open."""

    empl_no: str
    empl_name: str
    begin: dt.date
    end: dt.date | None
    contrib_base_cents: int
    curr: str = "EUR"

    def overlaps(self, start: dt.date, until: dt.date) -> bool:
        """Whether any day of this period falls within ``start..until`` (both inclusive)."""
        return self.begin <= until and (self.end is None or self.end >= start)


@dataclass(frozen=True)
class InsuredPerson:
    """A person on the bureau's register with their periods, oldest first."""

    pers_no: str
    surname: str
    forenames: str
    birth: dt.date
    periods: tuple[EmploymentPeriod, ...] = ()


_NORDIC_TIMBER = ("556012-3456", "Nordic Timber Works")
_HARBOUR = ("556987-6543", "Harbour Logistics Ltd")
_CITY = ("212000-0142", "City of Eastport")
_CLINIC = ("802477-1199", "Westfield Clinic Foundation")
_SOFTWARE = ("559101-2020", "Brightline Software")


def _period(
    employer: tuple[str, str],
    begin: dt.date,
    end: dt.date | None,
    cents: int,
    curr: str = "EUR",
) -> EmploymentPeriod:
    return EmploymentPeriod(employer[0], employer[1], begin, end, cents, curr)


def seed_register() -> Mapping[str, InsuredPerson]:
    """The seeded register, keyed by PersNo (read-only, a fresh copy per call)."""
    people = (
        InsuredPerson(
            "19800101-1234", "Andersson", "Maria Elena", dt.date(1980, 1, 1),
            (
                _period(_NORDIC_TIMBER, dt.date(2002, 9, 1), dt.date(2008, 6, 30), 16_452_000),
                _period(_HARBOUR, dt.date(2008, 8, 1), dt.date(2015, 12, 31), 31_870_050),
                # Still employed: the legacy system shows EndDt 00.00.0000.
                _period(_SOFTWARE, dt.date(2016, 1, 1), None, 52_300_000),
            ),
        ),
        InsuredPerson(
            "19751224-5678", "Brandt", "Johannes", dt.date(1975, 12, 24),
            (
                # Before the euro: the register kept the original currency.
                _period(_CITY, dt.date(1998, 3, 1), dt.date(2001, 12, 31), 9_876_500, "DEM"),
                _period(_CITY, dt.date(2002, 1, 1), dt.date(2010, 5, 31), 27_410_000),
                _period(_HARBOUR, dt.date(2010, 6, 1), dt.date(2020, 3, 31), 44_125_075),
                _period(_NORDIC_TIMBER, dt.date(2020, 5, 1), dt.date(2024, 12, 31), 21_990_000),
            ),
        ),
        InsuredPerson(
            "19920315-2468", "Costa", "Ana Sofia", dt.date(1992, 3, 15),
            (
                _period(_CLINIC, dt.date(2014, 10, 1), dt.date(2019, 8, 31), 17_500_000),
                _period(_CLINIC, dt.date(2019, 9, 1), dt.date(2023, 2, 28), 9_120_033),
            ),
        ),
        # Registered, never insured through an employer.
        InsuredPerson("20010707-1357", "Dubois", "Lucas", dt.date(2001, 7, 7)),
        InsuredPerson(
            "19680229-9012", "Eriksen", "Kari", dt.date(1968, 2, 29),
            (
                _period(_SOFTWARE, dt.date(1995, 1, 1), dt.date(2012, 12, 31), 61_000_000),
                _period(_CITY, dt.date(2013, 2, 1), dt.date(2025, 6, 30), 48_250_000),
            ),
        ),
    )
    return MappingProxyType({person.pers_no: person for person in people})
