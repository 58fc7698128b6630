"""Write a long history of one-stop cases straight into a ledger, for benchmarks.

Cases go through the real ``Case`` aggregate (so the stored events are what the hub
records, personal fields sealed per subject), but are written in large batches, their
times spread over a simulated year, instead of one transaction per step: thousands of
cases take seconds. Each case has three steps (the benchmark's declared services); most
are answered and complete, some are refused, some acknowledged and decided days later,
and the most recent are still open, some past their limits.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from hub.adapters.store.ledger import Ledger
from hub.domain.case import Case

CASE_TYPES = {"relocation@1.0": "30 working days", "benefit-check@1.0": "5 working days"}
SERVICES = {"north/social-security/contribution-history": "2 working days",
            "north/tax/tax-clearance": "2 working days",
            "south/vehicles/re-registration": "10 working days"}
STEPS = dict(zip(("contributions", "tax", "vehicle"), SERVICES, strict=True))
START = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)
SPAN = dt.timedelta(days=330)
DAY = dt.timedelta(days=1)


@dataclass
class CaseHistory:
    """What was written: events, cases and outcome counts, and the simulated now."""

    events: int = 0
    cases: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    now: dt.datetime = START + SPAN


def write_cases(ledger: Ledger, cases: int, *, seed: int = 19, chunk: int = 500) -> CaseHistory:
    """Append ``cases`` cases' lifecycles to ``ledger``, submitted evenly over the span."""
    rng = random.Random(seed)  # noqa: S311 - reproducible benchmark data, not secrets
    history = CaseHistory()
    while history.cases < cases:
        events: list[Any] = []
        for _ in range(min(chunk, cases - history.cases)):
            submitted = START + SPAN * (history.cases / cases)
            outcome, case = _lifecycle(rng, submitted, history.now, history.cases)
            history.outcomes[outcome] = history.outcomes.get(outcome, 0) + 1
            history.cases += 1
            events.extend(case.collect_events())
        ledger.recorder.insert_events([ledger.mapper.to_stored_event(e) for e in events])
        history.events += len(events)
    return history


def _lifecycle(rng: random.Random, at: dt.datetime, now: dt.datetime,
               n: int) -> tuple[str, Case]:
    case = Case(case_type=rng.choice(list(CASE_TYPES)), applicant="north/portal",
                application={"national_id": f"1980{n:08d}", "family_name": "Rossi"},
                documents={}, steps=dict(STEPS), data_subject=f"ds-{n:012x}", at=at,
                due_at=at + 30 * DAY)
    roll = rng.random()
    ended = at
    for name in STEPS:
        sent = at + dt.timedelta(seconds=rng.uniform(0.01, 2))
        case.request_step(name, "", sent, sent + 2 * DAY)
        case.send_step(name, f"ex-{n}-{name}", sent)
        if sent + 20 * DAY > now and roll < 0.5:
            return "open", case  # recent, still awaited (some past the step's limit)
        took = dt.timedelta(seconds=rng.lognormvariate(0, 1)) if name != "vehicle" else \
            rng.uniform(0.5, 15) * DAY  # queries answer at once; the vehicle step later
        if roll < 0.03:
            case.fail_step(name, f"ex-{n}-{name}", "provider-fault", "generated", sent + took)
            return "failed", case
        if name == "vehicle":
            case.acknowledge_step(name, f"VEH-{n}", sent + dt.timedelta(seconds=1))
        ended = max(ended, sent + took)
        if roll < 0.1 and name == "vehicle":
            case.decide_step(name, "refused", "generated refusal", "", {}, sent + took)
            case.refuse(name, sent + took)
            return "refused", case
        case.decide_step(name, "approved", "", f"REF-{n}", {"reference": f"REF-{n}"},
                         sent + took)
    case.complete(ended)
    case.issue_result("case.result@1.0", {"references": {}}, ended)
    return "completed", case
