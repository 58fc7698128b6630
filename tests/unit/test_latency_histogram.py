"""The log-bucketed latency histogram: bounded relative error, nearest-rank quantiles."""

from __future__ import annotations

import random

import pytest

from hub.adapters.projections.histogram import RELATIVE_ACCURACY, bucket_of, bucket_value, quantile


@pytest.mark.parametrize("latency_ms", [0.0015, 0.3, 1.0, 42.0, 1999.9, 2000.1, 259_200_000.0])
def test_bucket_value_is_within_the_relative_accuracy(latency_ms: float) -> None:
    """Any latency, from microseconds to three days, is reported within 1 %."""
    reported = bucket_value(bucket_of(latency_ms))
    assert abs(reported - latency_ms) <= RELATIVE_ACCURACY * latency_ms * 1.000001


def test_quantiles_match_exact_nearest_rank_within_the_accuracy() -> None:
    """p50 and p95 of 10,000 samples agree with the exact nearest-rank values to 1 %."""
    rng = random.Random(7)
    samples = sorted(rng.lognormvariate(3.5, 1.0) for _ in range(10_000))
    buckets: dict[int, int] = {}
    for value in samples:
        buckets[bucket_of(value)] = buckets.get(bucket_of(value), 0) + 1
    for q, exact in ((0.5, samples[4999]), (0.95, samples[9499])):
        assert quantile(buckets.items(), q) == pytest.approx(exact, rel=RELATIVE_ACCURACY)
    assert len(buckets) < 1000  # compact: far fewer buckets than samples


def test_quantile_of_nothing_is_none() -> None:
    """An empty histogram has no quantiles."""
    assert quantile([], 0.5) is None
    assert quantile([(3, 0)], 0.95) is None
