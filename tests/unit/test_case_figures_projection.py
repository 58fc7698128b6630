"""The figures' counts kept as cases change equal the counts taken afresh of the rows now,
whatever the changes (the /metrics gauges of open and overdue cases too); the ordered
values behind the medians agree with a sorted list."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from uuid import uuid4

import pytest

from hub.adapters.readmodels.case_figures import CaseFigures
from hub.adapters.readmodels.cases import CaseRow, StepRow
from hub.adapters.readmodels.ordered import OrderedValues
from hub.service_layer.cases.figures import overdue_counts, tally
from tests.case_counts import open_by_scan

T0 = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
KINDS = ("relocation@1.0", "business-opening@1.0", "undeclared@1.0")
SERVICES = ("north/tax/registration", "north/vehicles/re-registration", "south/x/undeclared")
STATES = ("waiting", "requested", "acknowledged", "failed", "approved", "refused",
          "more-information-needed")
STATUSES = ("open", "open", "completed", "refused", "withdrawn")


def _step(rng: random.Random, service: str) -> StepRow:
    state = rng.choice(STATES)
    sent = None if state == "waiting" and rng.random() < 0.7 else T0 + rng.randrange(900) * HOUR
    since = None if sent is None else sent + rng.randrange(600) * HOUR
    due = None if sent is None else sent + rng.choice((24, 72, 240)) * HOUR
    return StepRow(service, service, state=state, since=since, due_at=due, requested_at=sent)


def _version(rng: random.Random, row: CaseRow) -> CaseRow:
    """Another state of ``row``: any status, steps in any state (sent or not)."""
    status = rng.choice(STATUSES)
    closed = None if status == "open" else row.submitted_at + rng.randrange(2000) * HOUR
    return dataclasses.replace(row, status=status, closed_at=closed, steps=tuple(
        _step(rng, s.service) for s in row.steps))


def _new(rng: random.Random) -> CaseRow:
    submitted = T0 + rng.randrange(24 * 120) * HOUR
    services = rng.sample(SERVICES, rng.randint(1, 3))
    row = CaseRow(uuid4(), rng.choice(KINDS), "north/portal", "open", submitted,
                  submitted + rng.choice((72, 240, 720)) * HOUR,
                  steps=tuple(StepRow(s, s) for s in services))
    return row


@pytest.mark.parametrize("seed", range(6))
def test_counts_kept_through_changes_equal_counts_taken_afresh(seed: int) -> None:
    rng = random.Random(seed)
    counts = CaseFigures()
    rows: dict[object, CaseRow] = {}
    case_limits = {KINDS[0]: "30 working days", KINDS[1]: "20 working days"}
    service_limits = {SERVICES[0]: "5 working days", SERVICES[1]: "10 working days"}
    for _ in range(1500):
        if not rows or rng.random() < 0.3:
            row = _new(rng)
            counts.replace(None, row)
        else:
            old = rows[rng.choice(list(rows))]
            row = _version(rng, old)
            counts.replace(old, row)
        rows[row.id] = row
    for hours in (0, 24 * 30, 24 * 60, 24 * 200):
        now = T0 + hours * HOUR
        for threshold in (1, 5):
            assert counts.at(case_limits, service_limits, now, threshold) == \
                tally(rows.values(), case_limits, service_limits, now, threshold)
        assert overdue_counts(counts.open_at(now), case_limits, service_limits) == \
            open_by_scan(rows.values(), case_limits, service_limits, now)


def test_ordered_values_agree_with_a_sorted_list() -> None:
    rng = random.Random(7)
    kept = OrderedValues()
    expected: list[float] = []
    for _ in range(6000):  # past several block splits
        if expected and rng.random() < 0.35:
            value = rng.choice(expected)
            expected.remove(value)
            kept.remove(value)
        else:
            value = float(rng.randrange(500))  # many equal values
            expected.append(value)
            kept.add(value)
    expected.sort()
    assert len(kept) == len(expected)
    assert [kept[i] for i in range(len(kept))] == expected
    for probe in (-1.0, 0.0, 17.5, 250.0, 499.0, 600.0):
        assert kept.count_at_most(probe) == sum(v <= probe for v in expected)
    with pytest.raises(KeyError):
        kept.remove(0.5)
    with pytest.raises(IndexError):
        kept[len(kept)]
