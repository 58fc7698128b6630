"""Counts and latencies per kind of request, and the percentiles the reports print."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """The nearest-rank ``q`` percentile (0 < q <= 100) of already sorted values."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class KindTally:
    """What happened to the requests of one kind."""

    completed: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)  # reason -> count

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def quantiles(self) -> tuple[float | None, float | None, float | None]:
        """(p50, p95, p99) of completed requests, in ms."""
        ordered = sorted(self.latencies_ms)
        return percentile(ordered, 50), percentile(ordered, 95), percentile(ordered, 99)


@dataclass
class Tally:
    """Per-kind tallies of one run and how long it ran."""

    kinds: dict[str, KindTally] = field(default_factory=dict)
    elapsed_s: float = 0.0

    def of(self, kind: str) -> KindTally:
        return self.kinds.setdefault(kind, KindTally())

    def ok(self, kind: str, latency_ms: float) -> None:
        tally = self.of(kind)
        tally.completed += 1
        tally.latencies_ms.append(latency_ms)

    def failed(self, kind: str, reason: str) -> None:
        self.of(kind).errors[reason] += 1

    def total(self) -> KindTally:
        """Every kind together."""
        merged = KindTally()
        for tally in self.kinds.values():
            merged.completed += tally.completed
            merged.latencies_ms.extend(tally.latencies_ms)
            merged.errors.update(tally.errors)
        return merged

    def rate(self, kind: str | None = None) -> float:
        """Completed requests per second (all kinds when ``kind`` is None)."""
        done = self.total().completed if kind is None else self.of(kind).completed
        return done / self.elapsed_s if self.elapsed_s > 0 else 0.0
