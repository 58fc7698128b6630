"""The Prometheus text rendering of service metrics parses and escapes labels per the format."""

from __future__ import annotations

import re

from prometheus_client.parser import text_string_to_metric_families

from hub.adapters.projections.prometheus import render
from hub.adapters.projections.service_metrics import ServiceStats


def _stats(service: str, **overrides: object) -> ServiceStats:
    values: dict[str, object] = {
        "service": service,
        "provider": service.rsplit("/", 1)[0],
        "volume": 7,
        "completed": 3,
        "rejected": 2,
        "failed": 1,
        "late": 1,
        "unanswered": 1,
        "overdue": 1,
        "limit_s": 2.0,
        "latency_sum_ms": 2900.0,
        "p50_ms": 300.0,
        "p95_ms": 2500.0,
        "rejections": {"contract-violation": 1, "malformed-input": 1},
    }
    values.update(overrides)
    return ServiceStats(**values)  # type: ignore[arg-type]


def test_rendered_text_parses_into_the_expected_families_and_samples() -> None:
    """Every family parses with prometheus_client's parser and carries the numbers given."""
    text = render([_stats("north/tax/tax-clearance")], {"exchange-index": 44})
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert families["interop_hub_exchanges_received"].type == "counter"
    assert families["interop_hub_exchange_latency_seconds"].type == "summary"
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in families.values()
        for s in f.samples
    }
    labels = {"region": "north", "department": "tax", "service": "tax-clearance"}

    def value(name: str, **more: str) -> float:
        return samples[(name, tuple(sorted({**labels, **more}.items())))]

    assert value("interop_hub_exchanges_received_total") == 7
    assert value("interop_hub_exchanges_total", outcome="failed") == 1
    assert value("interop_hub_exchanges_pending") == 1
    assert value("interop_hub_rejections_total", reason="malformed-input") == 1
    assert value("interop_hub_exchange_latency_seconds", quantile="0.95") == 2.5
    assert value("interop_hub_exchange_latency_seconds_count") == 3
    assert value("interop_hub_exchange_latency_seconds_sum") == 2.9
    assert value("interop_hub_time_limit_breaches_total") == 3
    assert value("interop_hub_service_time_limit_seconds") == 2.0
    assert samples[("interop_hub_projection_position", (("projection", "exchange-index"),))] == 44


def test_every_family_has_help_and_type_before_its_samples() -> None:
    """Each family is introduced by exactly one HELP and one TYPE line, samples follow."""
    text = render([_stats("north/tax/tax-clearance")], {})
    declared: list[str] = []
    for line in text.splitlines():
        if line.startswith("# HELP "):
            declared.append(line.split()[2])
        elif line.startswith("# TYPE "):
            assert line.split()[2] == declared[-1]
        else:
            assert re.match(rf"^{re.escape(declared[-1])}(_sum|_count)?[{{ ]", line), line
    assert len(declared) == len(set(declared))


def test_label_values_are_escaped() -> None:
    """Backslash, double quote and newline in a label value survive a round trip."""
    odd = 'we"ird\\name\nx'
    text = render([_stats(f"north/dept/{odd}", limit_s=None, rejections={'a"b': 1})], {})
    families = {f.name: f for f in text_string_to_metric_families(text)}
    (sample,) = families["interop_hub_exchanges_received"].samples
    assert sample.labels["service"] == odd
    (reason,) = families["interop_hub_rejections"].samples
    assert reason.labels["reason"] == 'a"b'
