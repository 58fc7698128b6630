"""What may name a metrics series: configured services and the hub's own error codes.

Anyone may send a request to ``/services/<anything>`` and each one is recorded
with the service it named, so a metric labelled by the recorded name would let
strangers create series at will (and put any byte, NUL included, in a label).
Metrics therefore count every service the hub was not configured with under one
:data:`UNKNOWN` service, and every rejection code no hub error class declares
(a peer's refusal may carry any code) under one :data:`UNKNOWN` reason: the number
of series is bounded by configuration, not by traffic.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Collection, Container, Iterable, Iterator

from contracts.errors import HubError
from hub.adapters.projections.service_metrics import ServiceStats

UNKNOWN = "unknown"


def known_codes() -> frozenset[str]:
    """The ``code`` of every error class of the hub (all ``HubError`` subclasses loaded)."""
    return frozenset(_codes(HubError))


def _codes(cls: type[HubError]) -> Iterator[str]:
    code = getattr(cls, "code", None)
    if isinstance(code, str):
        yield code
    for sub in cls.__subclasses__():
        yield from _codes(sub)


def bounded(
    stats: Iterable[ServiceStats], services: Container[str], codes: Collection[str],
) -> list[ServiceStats]:
    """``stats`` of known ``services``, plus one :data:`UNKNOWN` entry summing the others;
    rejection codes outside ``codes`` are counted under :data:`UNKNOWN`."""
    kept: list[ServiceStats] = []
    strangers: list[ServiceStats] = []
    for s in stats:
        s = _known_codes_only(s, codes)
        (kept if s.service in services else strangers).append(s)
    if strangers:
        kept.append(_sum_of(strangers))
    return kept


def _known_codes_only(stats: ServiceStats, codes: Collection[str]) -> ServiceStats:
    if all(code in codes for code in stats.rejections):
        return stats
    folded: Counter[str] = Counter()
    for code, count in stats.rejections.items():
        folded[code if code in codes else UNKNOWN] += count
    return dataclasses.replace(stats, rejections=dict(folded))


def _sum_of(strangers: list[ServiceStats]) -> ServiceStats:
    """One entry for services nobody configured: counts summed; no limit, no quantiles."""
    rejections: Counter[str] = Counter()
    for s in strangers:
        rejections.update(s.rejections)

    def total(name: str) -> int:
        return sum(getattr(s, name) for s in strangers)

    return ServiceStats(
        service=UNKNOWN, provider=UNKNOWN, volume=total("volume"),
        completed=total("completed"), rejected=total("rejected"), failed=total("failed"),
        late=0, unanswered=0, overdue=0, limit_s=None,
        latency_sum_ms=sum(s.latency_sum_ms for s in strangers),
        p50_ms=None, p95_ms=None, rejections=dict(sorted(rejections.items())),
    )

