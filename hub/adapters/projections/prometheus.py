"""Service metrics in the Prometheus text exposition format (version 0.0.4), rendered by hand.

Rendering is a few lines, and doing it here keeps the hub off the process-wide
``prometheus_client`` registry. Per the format: every family has one ``# HELP``
and one ``# TYPE`` line before its samples; label values escape backslash,
double quote and newline; HELP text escapes backslash and newline.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from hub.adapters.projections.label_bounds import UNKNOWN
from hub.adapters.projections.service_metrics import ServiceStats
from hub.domain.access_anomaly import KINDS

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PREFIX = "interop_hub_"


@dataclass
class _Family:
    name: str
    kind: str
    help: str
    samples: list[tuple[str, dict[str, str], float]] = field(default_factory=list)

    def add(self, value: float, labels: dict[str, str], suffix: str = "") -> None:
        self.samples.append((self.name + suffix, labels, value))


def render(stats: Sequence[ServiceStats], positions: Mapping[str, int]) -> str:
    """The exposition text for ``stats`` and the projections' ledger ``positions``."""
    families = _service_families(stats)
    position = _Family(
        f"{PREFIX}projection_position", "gauge", "Ledger position each projection has applied."
    )
    for name, value in sorted(positions.items()):
        position.add(value, {"projection": name})
    return "".join(_family_text(f) for f in [*families, position])


def render_anomalies(counts: Mapping[str, int]) -> str:
    """The access watch's counter: anomalies raised by kind (every kind, 0 included)."""
    family = _Family(f"{PREFIX}access_anomalies_total", "counter",
                     "Access anomalies the access watch raised, by kind.")
    for kind in sorted({*KINDS, *counts}):
        family.add(counts.get(kind, 0), {"kind": kind})
    return _family_text(family)


def _service_families(stats: Iterable[ServiceStats]) -> list[_Family]:
    received = _Family(f"{PREFIX}exchanges_received_total", "counter",
                       "Exchanges received for the service, whatever their outcome.")
    outcomes = _Family(f"{PREFIX}exchanges_total", "counter",
                       "Exchanges that ended, by outcome (completed, rejected, failed).")
    pending = _Family(f"{PREFIX}exchanges_pending", "gauge",
                      "Exchanges received and not yet ended.")
    rejections = _Family(f"{PREFIX}rejections_total", "counter",
                         "Rejected inputs by reason code.")
    latency = _Family(f"{PREFIX}exchange_latency_seconds", "summary",
                      "Latency of completed exchanges, from arrival to the client's answer.")
    limit = _Family(f"{PREFIX}service_time_limit_seconds", "gauge",
                    "The time limit the service declares for an answer.")
    breaches = _Family(f"{PREFIX}time_limit_breaches_total", "counter",
                       "Exchanges late, unanswered or overdue against the service's time limit.")
    overdue = _Family(f"{PREFIX}exchanges_overdue", "gauge",
                      "Open exchanges already past the service's time limit.")  # fmt: skip
    for s in stats:
        labels = _service_labels(s.service)
        received.add(s.volume, labels)
        for outcome, count in (("completed", s.completed), ("rejected", s.rejected),
                               ("failed", s.failed)):  # fmt: skip
            outcomes.add(count, {**labels, "outcome": outcome})
        pending.add(s.pending, labels)
        for reason, count in sorted(s.rejections.items()):
            rejections.add(count, {**labels, "reason": reason})
        for q, value in (("0.5", s.p50_ms), ("0.95", s.p95_ms)):
            if value is not None:
                latency.add(value / 1000, {**labels, "quantile": q})
        latency.add(s.latency_sum_ms / 1000, labels, "_sum")
        latency.add(s.completed, labels, "_count")
        if s.limit_s is not None:
            limit.add(s.limit_s, labels)
            breaches.add(s.breaches, labels)
            overdue.add(s.overdue, labels)
    return [received, outcomes, pending, rejections, latency, limit, breaches, overdue]


def _service_labels(service: str) -> dict[str, str]:
    parts = service.split("/")
    if len(parts) == 3:
        return {"region": parts[0], "department": parts[1], "service": parts[2]}
    # Only configured services reach here by name (hub.adapters.projections.label_bounds): the rest
    # arrive summed as one "unknown" entry, never as a label a request chose.
    return {"region": UNKNOWN, "department": UNKNOWN, "service": UNKNOWN}


def _family_text(family: _Family) -> str:
    lines = [
        f"# HELP {family.name} {_escape_help(family.help)}",
        f"# TYPE {family.name} {family.kind}",
    ]
    for name, labels, value in family.samples:
        rendered = ",".join(f'{k}="{_escape_label(v)}"' for k, v in labels.items())
        selector = f"{name}{{{rendered}}}" if rendered else name
        lines.append(f"{selector} {_number(value)}")
    return "\n".join(lines) + "\n"


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def render_cases(open_cases: Mapping[str, int], overdue_cases: Mapping[str, int],
                 overdue_steps: Mapping[str, int]) -> str:
    """One-stop cases: open and overdue cases by case type, overdue steps by service."""
    opened = _Family(f"{PREFIX}cases_open", "gauge", "Cases open (not completed, refused "
                     "or withdrawn), by case type.")
    late = _Family(f"{PREFIX}cases_overdue", "gauge",
                   "Open cases past the case's time limit, by case type.")
    steps = _Family(f"{PREFIX}case_steps_overdue", "gauge", "Steps of open cases still "
                    "awaited from the department past their time limit, by service.")
    for name in sorted(open_cases):
        opened.add(open_cases[name], {"case_type": name})
        late.add(overdue_cases.get(name, 0), {"case_type": name})
    for service in sorted(overdue_steps):
        steps.add(overdue_steps[service], {"service": service})
    return "".join(_family_text(f) for f in (opened, late, steps))
