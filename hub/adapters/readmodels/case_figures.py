"""The published figures of cases as a projection: kept as the case events arrive.

Per case type and per service (the department's step) it keeps the volume, how many
completed and how many of those on time, their durations in order (for the median and
90th percentile), the due times of what is still open (for "open past the limit" at any
moment), and per case type and month the cases submitted and completed. Each change of
a case row replaces that case's contribution: what the old row counted is taken out and
what the new row counts is put in, so a row may change in any way (a step asked again, a
case refused after a step was decided) and the figures stay those of the rows now.
Reading the figures at a moment costs per case type and service, never per case.

The counts are raw; what may be published of them (small counts suppressed) is decided
in ``hub.service_layer.cases.figures``. Nothing personal is kept: no case id, no
applicant, only counts, durations and due times.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from hub.adapters.readmodels.ordered import OrderedValues

CASE_TYPE = "case type"
SERVICE = "service"
DECIDED = frozenset({"approved", "refused"})
# a failed step (its exchange refused or failed) still awaits a decision, and runs overdue
AWAITED = frozenset({"requested", "acknowledged", "failed"})
_DAY_S = 86400


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


@dataclass(frozen=True)
class Tally:
    """The raw counts of one case type or service at one moment (before suppression)."""

    kind: str
    name: str
    time_limit: str
    volume: int = 0
    completed: int = 0
    on_time: int = 0
    open_past_limit: int = 0
    median_days: float | None = None  # of the completed, None when none completed
    p90_days: float | None = None  # nearest rank


@dataclass(frozen=True)
class Figures:
    """Every tally, and the monthly series per case type: (month, submitted, completed)."""

    tallies: list[Tally]
    months: dict[str, list[tuple[str, int, int]]]
    threshold: int


class OpenCounts(NamedTuple):
    """Open cases and open cases past due by case type, awaited steps past due by service."""

    cases: dict[str, int]
    overdue_cases: dict[str, int]
    overdue_steps: dict[str, int]


class Part(NamedTuple):
    """What one case (or one step) counts: done in ``days`` (on time or not), or open
    and due at ``due`` (a POSIX time), or neither (refused, withdrawn, waiting)."""

    name: str
    done: bool
    on_time: bool
    days: float
    due: float | None


def _part(name: str, started: dt.datetime, ended: dt.datetime | None,
          due: dt.datetime | None, done: bool, awaited: bool) -> Part:
    if done and ended is not None:
        days = (ended - started).total_seconds() / _DAY_S
        return Part(name, True, due is None or ended <= due, days, None)
    if awaited and due is not None:
        return Part(name, False, False, 0.0, due.timestamp())
    return Part(name, False, False, 0.0, None)


def case_part(row: CaseLike) -> Part:
    return _part(row.case_type, row.submitted_at, row.closed_at, row.due_at,
                 row.status == "completed", row.status == "open")


def step_part(row: CaseLike, step: StepLike) -> Part | None:
    """What a step counts; None for a step never sent (it is not counted)."""
    if step.requested_at is None:
        return None
    return _part(step.service, step.requested_at, step.since, step.due_at,
                 step.state in DECIDED, row.status == "open" and step.state in AWAITED)


def _counted_alike(was: StepLike, now: StepLike) -> bool:
    """Whether two states of a step differ only where the figures do not look."""
    return (was.state == now.state and was.since == now.since and was.due_at == now.due_at
            and was.requested_at == now.requested_at)


def months_of(row: CaseLike) -> tuple[str, str | None]:
    """The month a case was submitted, and the month it completed (None if it did not)."""
    completed = row.closed_at.strftime("%Y-%m") \
        if row.status == "completed" and row.closed_at is not None else None
    return row.submitted_at.strftime("%Y-%m"), completed


class Counter:
    """The running counts of one case type or service."""

    def __init__(self) -> None:
        self.volume = 0
        self.completed = 0
        self.on_time = 0
        self.durations = OrderedValues()  # days, of the completed
        self.open_due = OrderedValues()  # POSIX times, of the open with a due time

    def add(self, part: Part) -> None:
        self.volume += 1
        if part.done:
            self.completed += 1
            self.on_time += part.on_time
            self.durations.add(part.days)
        elif part.due is not None:
            self.open_due.add(part.due)

    def remove(self, part: Part) -> None:
        self.volume -= 1
        if part.done:
            self.completed -= 1
            self.on_time -= part.on_time
            self.durations.remove(part.days)
        elif part.due is not None:
            self.open_due.remove(part.due)

    def at(self, kind: str, name: str, time_limit: str, now: float) -> Tally:
        """The tally at POSIX time ``now``."""
        count = len(self.durations)
        median = p90 = None
        if count:
            middle = count // 2
            median = self.durations[middle] if count % 2 else \
                (self.durations[middle - 1] + self.durations[middle]) / 2
            p90 = self.durations[max(0, math.ceil(0.9 * count) - 1)]
        return Tally(kind, name, time_limit, self.volume, self.completed, self.on_time,
                     self.open_due.count_at_most(now), median, p90)


def _counter(counters: dict[str, Counter], name: str) -> Counter:
    found = counters.get(name)
    if found is None:
        found = counters[name] = Counter()
    return found


class CaseFigures:
    """The figures' counts of every case row seen, each row's contribution replaceable."""

    def __init__(self) -> None:
        self.case_types: dict[str, Counter] = {}
        self.services: dict[str, Counter] = {}
        self.months: dict[str, dict[str, list[int]]] = {}  # case type -> month -> [s, c]

    def replace(self, old: CaseLike | None, new: CaseLike) -> None:
        """Count ``new`` instead of ``old`` (None: a new case), the same case later.

        A case's type, submission and due times never change; what does is its status,
        its close and its steps: only what changed is counted again.
        """
        if old is None:
            self._case(case_part(new), months_of(new), 1)
            for step in new.steps:
                self._step(None, step_part(new, step))
            return
        same_status = old.status == new.status
        if not same_status or old.closed_at != new.closed_at:
            self._case(case_part(old), months_of(old), -1)
            self._case(case_part(new), months_of(new), 1)
        for was, now in zip(old.steps, new.steps, strict=True):
            if (was is now or _counted_alike(was, now)) and \
                    (same_status or now.state not in AWAITED):
                continue  # what it counts depends on the case's status only when awaited
            self._step(step_part(old, was), step_part(new, now))

    def _step(self, was: Part | None, now: Part | None) -> None:
        if was == now:
            return
        if was is not None:
            self.services[was.name].remove(was)
        if now is not None:
            _counter(self.services, now.name).add(now)

    def _case(self, part: Part, months: tuple[str, str | None], sign: int) -> None:
        counter = _counter(self.case_types, part.name)
        if sign > 0:
            counter.add(part)
        else:
            counter.remove(part)
        submitted, completed = months
        by_month = self.months.setdefault(part.name, {})
        by_month.setdefault(submitted, [0, 0])[0] += sign
        if completed is not None:
            by_month.setdefault(completed, [0, 0])[1] += sign

    def at(self, case_limits: Mapping[str, str], service_limits: Mapping[str, str],
           now: dt.datetime, threshold: int) -> Figures:
        """The figures at ``now``: every declared case type and service, and any other
        seen; limits name each one's promise ("" for one not declared)."""
        moment = now.timestamp()
        tallies = [self._tallies(CASE_TYPE, case_limits, self.case_types, moment),
                   self._tallies(SERVICE, service_limits, self.services, moment)]
        months = {name: [(m, s, c) for m, (s, c) in sorted(by_month.items()) if s or c]
                  for name, by_month in sorted(self.months.items())}
        return Figures([t for kind in tallies for t in kind],
                       {name: series for name, series in months.items() if series}, threshold)

    def open_at(self, now: dt.datetime) -> OpenCounts:
        """What is open at ``now``: cases by case type, those past their due time, and
        awaited steps of open cases past theirs by service. Only names with a count are
        present; reading costs per case type and service, never per case."""
        moment = now.timestamp()
        opened = {name: len(c.open_due) for name, c in self.case_types.items()
                  if len(c.open_due)}
        return OpenCounts(
            opened, {name: self.case_types[name].open_due.count_at_most(moment)
                     for name in opened},
            {name: late for name, c in self.services.items()
             if (late := c.open_due.count_at_most(moment))})

    @staticmethod
    def _tallies(kind: str, limits: Mapping[str, str], counters: Mapping[str, Counter],
                 now: float) -> list[Tally]:
        seen = {name for name, counter in counters.items() if counter.volume}
        return [counters.get(name, Counter()).at(kind, name, limits.get(name, ""), now)
                for name in sorted(seen | set(limits))]
