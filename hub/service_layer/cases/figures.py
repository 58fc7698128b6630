"""Published figures of one-stop cases: how often the promised time limits are kept.

Per case type and per service (the department's step): the promised time limit, the
volume, the completion rate, the on-time rate, the median and 90th-percentile duration and
how many are open past their limit, and per month the cases submitted and completed.
Counted by the cases read model as case events arrive
(:mod:`hub.adapters.readmodels.case_figures`), never by a scan of history or of every
case per request, they carry no personal data: no applicant, no subject, no case id,
only counts and durations.

Small counts are suppressed so that nobody can be singled out: a count below the
threshold (default 5) is published as ``"< 5"``, and a rate or duration is published only
when every count it is derived from (the whole, the part and the rest) is either zero
(for the rest) or at least the threshold; otherwise it is ``None`` (shown as a dash).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence

from hub.adapters.readmodels.case_figures import (
    AWAITED,
    CASE_TYPE,
    DECIDED,
    SERVICE,
    CaseFigures,
    CaseLike,
    Figures,
    OpenCounts,
    Tally,
)

THRESHOLD = 5


def tally(rows: Iterable[CaseLike], case_limits: Mapping[str, str],
          service_limits: Mapping[str, str], now: dt.datetime,
          threshold: int = THRESHOLD) -> Figures:
    """The figures of ``rows`` at ``now``, counted afresh (a running hub keeps them counted
    as cases change: :meth:`hub.adapters.readmodels.cases.CaseBoard.figures`)."""
    counts = CaseFigures()
    for row in rows:
        counts.replace(None, row)
    return counts.at(case_limits, service_limits, now, threshold)


def shown(count: int, threshold: int) -> int | str:
    """``count``, or ``"< threshold"`` when it is below the threshold."""
    return count if count >= threshold else f"< {threshold}"


def rate(part: int, whole: int, threshold: int) -> float | None:
    """``part / whole`` (4 decimals), unless a count it reveals is below the threshold."""
    rest = whole - part
    if whole < threshold or part < threshold or 0 < rest < threshold:
        return None
    return round(part / whole, 4)


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile of non-empty ``values`` (share in (0, 1])."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def published(item: Tally, threshold: int) -> dict[str, str | int | float | None]:
    """One tally as published: small counts suppressed, durations in days (2 decimals)."""
    enough = item.completed >= threshold
    return {
        "kind": item.kind,
        "name": item.name,
        "time_limit": item.time_limit,
        "volume": shown(item.volume, threshold),
        "completion_rate": rate(item.completed, item.volume, threshold),
        "on_time_rate": rate(item.on_time, item.completed, threshold),
        "median_days": round(item.median_days, 2)
        if enough and item.median_days is not None else None,
        "p90_days": round(item.p90_days, 2) if enough and item.p90_days is not None else None,
        "open_past_limit": shown(item.open_past_limit, threshold),
    }


def published_rows(figures: Figures) -> list[dict[str, str | int | float | None]]:
    return [published(t, figures.threshold) for t in figures.tallies]


def published_months(figures: Figures) -> dict[str, list[dict[str, str | int]]]:
    """Per case type, each month's submitted and completed cases, small counts suppressed."""
    k = figures.threshold
    return {name: [{"month": m, "submitted": shown(s, k), "completed": shown(c, k)}
                   for m, s, c in series] for name, series in figures.months.items()}


COLUMNS = ("kind", "name", "time_limit", "volume", "completion_rate", "on_time_rate",
           "median_days", "p90_days", "open_past_limit")


def overdue_counts(kept: OpenCounts, case_types: Iterable[str], services: Iterable[str],
                   ) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Open cases and open cases past due by case type, awaited steps past due by service,
    from the counts the cases read model keeps (:meth:`CaseBoard.open_counts`); every
    declared case type and service present, 0 included."""
    zero_types, zero_services = dict.fromkeys(case_types, 0), dict.fromkeys(services, 0)
    return ({**zero_types, **kept.cases}, {**zero_types, **kept.overdue_cases},
            {**zero_services, **kept.overdue_steps})


__all__ = ["AWAITED", "CASE_TYPE", "COLUMNS", "DECIDED", "SERVICE", "THRESHOLD", "Figures",
           "Tally", "overdue_counts", "percentile", "published", "published_months",
           "published_rows", "rate", "shown", "tally"]
