"""Metrics labels come from configuration: unknown services and codes fold into "unknown"."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from hub.adapters.projections.label_bounds import UNKNOWN, bounded, known_codes
from hub.adapters.projections.prometheus import render
from hub.adapters.projections.service_metrics import ServiceStats

KNOWN = "north/tax/tax-clearance"


def _stats(service: str, rejections: dict[str, int]) -> ServiceStats:
    return ServiceStats(
        service=service, provider=service.rsplit("/", 1)[0], volume=3, completed=1,
        rejected=sum(rejections.values()), failed=0, late=0, unanswered=0, overdue=0,
        limit_s=None, latency_sum_ms=10.0, p50_ms=10.0, p95_ms=10.0, rejections=rejections)


def test_the_hubs_own_codes_are_known() -> None:
    """Every error class's code is a known label value; a peer's invented one is not."""
    codes = known_codes()
    assert {"unknown-service", "missing-credentials", "malformed-input"} <= codes
    assert "invented-by-a-peer" not in codes


def test_unknown_services_are_summed_under_one_entry() -> None:
    """Stats of services nobody configured become one "unknown" entry with summed counts."""
    stats = [_stats(KNOWN, {"malformed-input": 1}),
             *(_stats(f"north/x{i}\x00/y", {"unknown-service": 1}) for i in range(50))]
    folded = bounded(stats, {KNOWN}, known_codes())
    assert [s.service for s in folded] == [KNOWN, UNKNOWN]
    assert folded[1].volume == 150 and folded[1].rejections == {"unknown-service": 50}
    text = render(folded, {})
    assert "\x00" not in text and "x0" not in text
    departments = {s.labels.get("department") for f in text_string_to_metric_families(text)
                   for s in f.samples}
    assert departments == {"tax", UNKNOWN}


def test_codes_no_error_class_declares_count_as_unknown() -> None:
    """A rejection code from outside (a peer's refusal) is one "unknown" reason."""
    stats = [_stats(KNOWN, {"malformed-input": 1, "peer-said-0": 2, "peer-said-1": 3})]
    (folded,) = bounded(stats, {KNOWN}, known_codes())
    assert folded.rejections == {"malformed-input": 1, UNKNOWN: 5}
