"""Latency kept compactly: logarithmic buckets with a bounded relative error (DDSketch-style).

A latency ``v`` (milliseconds) falls in bucket ``floor(log_g(v / FLOOR_MS))``
with ``g = (1 + a) / (1 - a)``; reporting a bucket by the value
``2 g^(i+1) FLOOR_MS / (g + 1)`` is within ``a`` (1 %) of every sample in it. A
service needs a few hundred buckets at most, whatever its volume, and bucket
counts just add up — so the read model stores (service, bucket, count) rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

RELATIVE_ACCURACY = 0.01
GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
_LOG_GAMMA = math.log(GAMMA)
FLOOR_MS = 0.001
"""Latencies below a microsecond share bucket 0."""


def bucket_of(latency_ms: float) -> int:
    """The bucket of one latency."""
    if latency_ms <= FLOOR_MS:
        return 0
    return max(0, math.floor(math.log(latency_ms / FLOOR_MS) / _LOG_GAMMA))


def bucket_value(bucket: int) -> float:
    """The value reported for a bucket: within RELATIVE_ACCURACY of any sample in it."""
    if bucket == 0:
        return FLOOR_MS
    return 2 * GAMMA ** (bucket + 1) * FLOOR_MS / (GAMMA + 1)


def quantile(buckets: Iterable[tuple[int, int]], q: float) -> float | None:
    """The ``q`` quantile (nearest rank) of (bucket, count) pairs; None when empty."""
    ordered = sorted((b, c) for b, c in buckets if c > 0)
    total = sum(c for _, c in ordered)
    if total == 0:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for bucket, count in ordered:
        seen += count
        if seen >= rank:
            return bucket_value(bucket)
    return bucket_value(ordered[-1][0])  # pragma: no cover - rank <= total
