"""A measured figure, printed and written to ``bench-results.json``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class Figure:
    """One benchmark result next to the raw reference measured in the same run.

    ``ratio`` is value / reference when both are throughputs (higher is better);
    ``goal`` states the target in words, e.g. ``">= 0.6 of reference"``.
    """

    key: str
    value: float
    unit: str
    reference: float | None
    ratio: float | None
    goal: str

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["key"]
        return data


def ratio_of(value: float, reference: float | None) -> float | None:
    """value / reference, or None without a usable reference."""
    if not reference:
        return None
    return round(value / reference, 3)


@dataclass
class Work:
    """The work counted behind a figure (e.g. store transactions per record), not a rate.

    Written to ``bench-results.json`` under ``key`` as ``{"per": ..., **counts}``.
    """

    key: str
    per: str
    counts: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"per": self.per, **self.counts}
