"""The tax bureau's seeded accounts: a clearance state and debt per taxpayer and year.

National ids are those of :mod:`simulations.social_security_bureau.data`, plus one
taxpayer the social-security bureau does not know.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

State = Literal["OK", "DEBT", "REVIEW"]


@dataclass(frozen=True)
class Assessment:
    """The bureau's position on one tax year: its state code and the debt in cents."""

    state: State
    debt_cents: int = 0


@dataclass(frozen=True)
class TaxAccount:
    """One taxpayer: a usual assessment, and the years that differ from it."""

    tin: str
    usual: Assessment
    years: Mapping[int, Assessment] = field(default_factory=dict)

    def for_year(self, year: int) -> Assessment:
        """The assessment for ``year``."""
        return self.years.get(year, self.usual)


_CLEAR = Assessment("OK")


def seed_accounts() -> Mapping[str, TaxAccount]:
    """The seeded accounts keyed by TIN (read-only, a fresh copy per call)."""
    accounts = (
        TaxAccount("19800101-1234", _CLEAR),
        TaxAccount("19751224-5678", _CLEAR, {
            2023: Assessment("DEBT", 1_234_567),
            2024: Assessment("DEBT", 98_050),
        }),
        TaxAccount("19920315-2468", _CLEAR, {2025: Assessment("REVIEW")}),
        TaxAccount("20010707-1357", _CLEAR),
        TaxAccount("19680229-9012", Assessment("DEBT", 4_500_000)),
        # Self-employed, never on the social-security register.
        TaxAccount("19990909-4321", _CLEAR, {2022: Assessment("REVIEW", 30_000)}),
    )
    return MappingProxyType({account.tin: account for account in accounts})
