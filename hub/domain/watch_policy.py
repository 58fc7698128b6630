"""What counts as unusual access to one service: the thresholds of the access watch.

A service declares them in its ``[service.watch]`` table (every key optional;
the defaults below fit a department that looks people up one at a time):

``subjects_floor`` / ``baseline_factor`` / ``baseline_alpha``
    Distinct data subjects one credential looks up in one clock hour are
    compared with that credential's own baseline for the service: an
    exponentially weighted mean of its earlier hours (``alpha`` is the weight
    of the hour just ended; quiet hours count as zero, so a baseline decays).
    The hour breaches when its count exceeds
    ``max(subjects_floor, baseline_factor * baseline)``: the floor keeps a
    credential with little history (baseline near 0) from alarming at its
    third lookup; the factor lets a busy desk be busy. An hour that raised an
    alarm is not learnt, so an offender cannot teach the baseline its habit.
``refusals_max`` / ``refusals_window_s``
    More than ``refusals_max`` refused requests by one credential within a
    sliding ``refusals_window_s`` (a scraper guessing identifiers). Windows are
    at most a week, counts at most a million, ``sample_size`` at most 100.
``departments_max`` / ``departments_window_s``
    One data subject looked up by more than ``departments_max`` different
    client departments within ``departments_window_s``.
``hours`` / ``days`` / ``timezone``
    Declared service hours (``"07:00-19:00"``, ``"mon-fri"``, an IANA zone);
    any access outside them is unusual. Absent: the service runs around the clock.
``suspend``
    Whether a breach by a credential suspends it at once (an operator resumes it).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contracts.errors import FieldIssue, HubError

_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class WatchPolicyError(HubError):
    """Raised when a service's ``[service.watch]`` table is unusable (names the key and why)."""

    code = "bad-watch-policy"
    status = 500

    def __init__(self, where: str, key: str, reason: str) -> None:
        super().__init__(
            f"{where}: watch.{key}: {reason}",
            issues=(FieldIssue(path=f"{where}/watch/{key}", reason=reason, code=self.code,
                               field=key),),
        )


@dataclass(frozen=True)
class ServiceHours:
    """When a service is meant to be used: a daily span on some weekdays, in a time zone."""

    start: dt.time
    end: dt.time  # exclusive; 24:00 is written as time.max
    days: frozenset[int]  # 0 = Monday
    zone: str

    def contains(self, moment: dt.datetime) -> bool:
        """Whether ``moment`` (aware) falls inside the hours."""
        local = moment.astimezone(ZoneInfo(self.zone))
        return local.weekday() in self.days and self.start <= local.time() < self.end

    def describe(self) -> str:
        """The hours as written: ``07:00-19:00 mon,tue,... Europe/Madrid``."""
        end = "24:00" if self.end == dt.time.max else self.end.strftime("%H:%M")
        days = ",".join(_DAYS[d] for d in sorted(self.days))
        return f"{self.start.strftime('%H:%M')}-{end} {days} {self.zone}"


@dataclass(frozen=True)
class WatchPolicy:
    """The thresholds of the access watch for one service (see the module docstring)."""

    subjects_floor: int = 50
    baseline_factor: float = 4.0
    baseline_alpha: float = 0.3
    refusals_max: int = 20
    refusals_window_s: int = 300
    departments_max: int = 3
    departments_window_s: int = 900
    hours: ServiceHours | None = None
    suspend: bool = False
    sample_size: int = field(default=10)

    def subjects_threshold(self, baseline: float) -> int:
        """The most distinct subjects an hour may see, given the credential's baseline."""
        return max(self.subjects_floor, int(self.baseline_factor * baseline))


DEFAULT_POLICY = WatchPolicy()

_INTS = ("subjects_floor", "refusals_max", "refusals_window_s", "departments_max",
         "departments_window_s", "sample_size")
WEEK_S = 7 * 24 * 3600
# The most each whole number may be. A window is kept as rows in the watch's state and
# becomes microseconds in its SQL: a week bounds the state, and a window of 10**13 s
# overflowed SQLite's integers and stopped the watch at its next batch.
_MAXIMA = {"subjects_floor": 1_000_000, "refusals_max": 1_000_000,
           "departments_max": 1_000_000, "refusals_window_s": WEEK_S,
           "departments_window_s": WEEK_S, "sample_size": 100}
_KNOWN = frozenset((*_INTS, "baseline_factor", "baseline_alpha", "hours", "days", "timezone",
                    "suspend"))


def parse_watch(table: object, *, where: str) -> WatchPolicy:
    """The policy of a ``[service.watch]`` table (absent: the defaults); clear errors else."""
    if table is None:
        return DEFAULT_POLICY
    if not isinstance(table, Mapping):
        raise WatchPolicyError(where, "", "write a table: [service.watch]")
    unknown = sorted(set(table) - _KNOWN)
    if unknown:
        raise WatchPolicyError(where, unknown[0],
                               f"unknown key; known: {', '.join(sorted(_KNOWN))}")
    values: dict[str, object] = {}
    for key in _INTS:
        if key in table:
            values[key] = _positive_int(table[key], where, key)
    if "baseline_factor" in table:
        values["baseline_factor"] = _number(table["baseline_factor"], where, "baseline_factor",
                                            low=1.0, high=1000.0)
    if "baseline_alpha" in table:
        values["baseline_alpha"] = _number(table["baseline_alpha"], where, "baseline_alpha",
                                           low=0.01, high=1.0)
    if "suspend" in table:
        if not isinstance(table["suspend"], bool):
            raise WatchPolicyError(where, "suspend", "write true or false")
        values["suspend"] = table["suspend"]
    values["hours"] = _hours(table, where)
    return WatchPolicy(**values)  # type: ignore[arg-type]


def _positive_int(value: object, where: str, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise WatchPolicyError(where, key, f"{value!r} is not a positive whole number")
    if value > _MAXIMA[key]:
        raise WatchPolicyError(where, key, f"{value!r} is more than the {_MAXIMA[key]} allowed")
    return value


def _number(value: object, where: str, key: str, *, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise WatchPolicyError(where, key, f"{value!r} is not a number from {low} to {high}")
    return float(value)


def _hours(table: Mapping[str, object], where: str) -> ServiceHours | None:
    if "hours" not in table:
        for key in ("days", "timezone"):
            if key in table:
                raise WatchPolicyError(where, key, "only meaningful with hours = \"HH:MM-HH:MM\"")
        return None
    text = table["hours"]
    match = _HOURS.match(text) if isinstance(text, str) else None
    if match is None:
        raise WatchPolicyError(where, "hours",
                               f"{text!r}: write \"HH:MM-HH:MM\", e.g. \"07:00-19:00\"")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start = dt.time(h1, m1)
    end = dt.time.max if (h2, m2) == (24, 0) else dt.time(h2, m2) if h2 < 24 else None
    if end is None or end <= start:
        raise WatchPolicyError(where, "hours", f"{text!r}: the end must come after the start")
    zone = table.get("timezone", "UTC")
    try:
        if not isinstance(zone, str):
            raise ZoneInfoNotFoundError(zone)
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise WatchPolicyError(where, "timezone", f"{zone!r} is not an IANA time zone "
                               "(e.g. \"Europe/Madrid\")") from None
    return ServiceHours(start, end, _days(table.get("days", "mon-sun"), where), zone)


def _days(text: object, where: str) -> frozenset[int]:
    """``mon-fri``, ``mon,wed,fri`` or a mix of both."""
    if not isinstance(text, str) or not text.strip():
        raise WatchPolicyError(where, "days", f"{text!r}: write e.g. \"mon-fri\" or \"mon,wed\"")
    days: set[int] = set()
    for part in text.lower().split(","):
        first, _, last = part.strip().partition("-")
        if first not in _DAYS or (last and last not in _DAYS):
            raise WatchPolicyError(where, "days", f"{part.strip()!r}: days are {', '.join(_DAYS)}")
        a, b = _DAYS.index(first), _DAYS.index(last or first)
        if b < a:
            raise WatchPolicyError(where, "days", f"{part.strip()!r}: write the earlier day first")
        days.update(range(a, b + 1))
    return frozenset(days)


def dump_watch(policy: WatchPolicy) -> list[str]:
    """The ``[service.watch]`` lines :func:`parse_watch` reads back (none for the defaults)."""
    if policy == DEFAULT_POLICY:
        return []
    lines = ["", "[service.watch]"]
    for key in (*_INTS, "baseline_factor", "baseline_alpha"):
        value = getattr(policy, key)
        if value != getattr(DEFAULT_POLICY, key):
            lines.append(f"{key} = {value}")
    if policy.suspend:
        lines.append("suspend = true")
    if policy.hours is not None:
        hours, days, zone = policy.hours.describe().split(" ")
        lines += [f'hours = "{hours}"', f'days = "{days}"', f'timezone = "{zone}"']
    return lines
