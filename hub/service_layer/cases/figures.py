"""Published figures of one-stop cases: how often the promised time limits are kept.

Per case type and per service (the department's step): the promised time limit, the
volume, the completion rate, the on-time rate, the median and 90th-percentile duration and
how many are open past their limit, and per month the cases submitted and completed.
Computed from the cases read model's rows (never a scan of history), they carry no
personal data: no applicant, no subject, no case id, only counts and durations.

Small counts are suppressed so that nobody can be singled out: a count below the
threshold (default 5) is published as ``"< 5"``, and a rate or duration is published only
when every count it is derived from (the whole, the part and the rest) is either zero
(for the rest) or at least the threshold; otherwise it is ``None`` (shown as a dash).
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

THRESHOLD = 5
CASE_TYPE = "case type"
SERVICE = "service"
DECIDED = frozenset({"approved", "refused"})
# a failed step (its exchange refused or failed) still awaits a decision, and runs overdue
AWAITED = frozenset({"requested", "acknowledged", "failed"})


class StepLike(Protocol):
    @property
    def service(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def since(self) -> dt.datetime | None: ...
    @property
    def due_at(self) -> dt.datetime | None: ...
    @property
    def requested_at(self) -> dt.datetime | None: ...


class CaseLike(Protocol):
    @property
    def case_type(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def submitted_at(self) -> dt.datetime: ...
    @property
    def due_at(self) -> dt.datetime: ...
    @property
    def closed_at(self) -> dt.datetime | None: ...
    @property
    def steps(self) -> Sequence[StepLike]: ...


@dataclass
class Tally:
    """The raw counts of one case type or service (before suppression)."""

    kind: str
    name: str
    time_limit: str
    volume: int = 0
    completed: int = 0
    on_time: int = 0
    open_past_limit: int = 0
    durations: list[float] = field(default_factory=list)  # days, of the completed

    def count(self, started: dt.datetime, ended: dt.datetime | None, due: dt.datetime | None,
              done: bool, awaited: bool, now: dt.datetime) -> None:
        self.volume += 1
        if done and ended is not None:
            self.completed += 1
            self.on_time += due is None or ended <= due
            self.durations.append((ended - started).total_seconds() / 86400)
        elif awaited and due is not None and due <= now:
            self.open_past_limit += 1


@dataclass
class Figures:
    """Every tally, and the monthly series per case type: (month, submitted, completed)."""

    tallies: list[Tally]
    months: dict[str, list[tuple[str, int, int]]]
    threshold: int = THRESHOLD


def tally(rows: Iterable[CaseLike], case_limits: Mapping[str, str],
          service_limits: Mapping[str, str], now: dt.datetime,
          threshold: int = THRESHOLD) -> Figures:
    """The figures of ``rows`` at ``now``; limits name each case type's and service's promise."""
    kinds = {name: Tally(CASE_TYPE, name, limit) for name, limit in sorted(case_limits.items())}
    services = {name: Tally(SERVICE, name, limit)
                for name, limit in sorted(service_limits.items())}
    monthly: dict[str, dict[str, list[int]]] = {}
    for row in rows:
        kind = kinds.setdefault(row.case_type, Tally(CASE_TYPE, row.case_type, ""))
        kind.count(row.submitted_at, row.closed_at, row.due_at, row.status == "completed",
                   row.status == "open", now)
        month = monthly.setdefault(row.case_type, {})
        month.setdefault(row.submitted_at.strftime("%Y-%m"), [0, 0])[0] += 1
        if row.status == "completed" and row.closed_at is not None:
            month.setdefault(row.closed_at.strftime("%Y-%m"), [0, 0])[1] += 1
        for step in row.steps:
            if step.requested_at is None:
                continue
            found = services.setdefault(step.service, Tally(SERVICE, step.service, ""))
            found.count(step.requested_at, step.since, step.due_at, step.state in DECIDED,
                        row.status == "open" and step.state in AWAITED, now)
    months = {name: [(m, counts[0], counts[1]) for m, counts in sorted(by_month.items())]
              for name, by_month in sorted(monthly.items())}
    ordered = [*sorted(kinds.values(), key=lambda t: t.name),
               *sorted(services.values(), key=lambda t: t.name)]
    return Figures(ordered, months, threshold)


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
    enough = len(item.durations) >= threshold
    return {
        "kind": item.kind,
        "name": item.name,
        "time_limit": item.time_limit,
        "volume": shown(item.volume, threshold),
        "completion_rate": rate(item.completed, item.volume, threshold),
        "on_time_rate": rate(item.on_time, item.completed, threshold),
        "median_days": round(statistics.median(item.durations), 2) if enough else None,
        "p90_days": round(percentile(item.durations, 0.9), 2) if enough else None,
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


def overdue_counts(rows: Iterable[CaseLike], case_types: Iterable[str],
                   services: Iterable[str], now: dt.datetime,
                   ) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Open cases and open cases past due by case type, awaited steps past due by service
    (every declared case type and service present, 0 included)."""
    opened = dict.fromkeys(case_types, 0)
    late = dict.fromkeys(opened, 0)
    steps = dict.fromkeys(services, 0)
    for row in rows:
        if row.status != "open":
            continue
        opened[row.case_type] = opened.get(row.case_type, 0) + 1
        late[row.case_type] = late.get(row.case_type, 0) + (row.due_at <= now)
        for step in row.steps:
            if step.state in AWAITED and step.due_at is not None and step.due_at <= now:
                steps[step.service] = steps.get(step.service, 0) + 1
    return opened, late, steps
