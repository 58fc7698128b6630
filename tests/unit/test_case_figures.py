"""The published figures of cases on a known set of cases: exact numbers, suppression."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from functools import partial
from uuid import uuid4

from hub.adapters.readmodels.cases import CaseRow, StepRow
from hub.entrypoints.http.transparency import Transparency
from hub.service_layer.cases.figures import (
    percentile,
    published_months,
    published_rows,
    rate,
    tally,
)

T0 = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 3, 31, 9, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
TAX = "north/tax/registration"


def _case(kind: str, status: str, took: float | None, step_state: str,
          step_took: float | None) -> CaseRow:
    closed = T0 + took * DAY if took is not None else None
    step = StepRow("tax", TAX, state=step_state, requested_at=T0,
                   since=T0 + step_took * DAY if step_took is not None else T0,
                   due_at=T0 + 3 * DAY)
    return CaseRow(uuid4(), kind, "north/portal", status, T0, T0 + 5 * DAY, closed_at=closed,
                   steps=(step,))


def known_cases() -> list[CaseRow]:
    rows = [_case("relocation@1.0", "completed", d, "approved", d) for d in range(1, 8)]
    rows += [_case("relocation@1.0", "refused", 1, "refused", 1) for _ in range(2)]
    rows += [_case("relocation@1.0", "open", None, "requested", None) for _ in range(3)]
    rows += [_case("business-opening@1.0", "completed", 2, "approved", 2) for _ in range(3)]
    return rows


LIMITS = {"relocation@1.0": "30 working days", "business-opening@1.0": "20 working days"}


def test_figures_of_a_known_set_of_cases() -> None:
    figures = tally(known_cases(), LIMITS, {TAX: "3 working days"}, NOW)
    rows = {r["name"]: r for r in published_rows(figures)}
    # 12 relocations: 7 completed (1..7 days; due in 5: 5 on time, 2 late), 2 refused, 3
    # open past their limit. 7/12 shown (7 and 5 not completed are both >= 5); 5 of 7 on
    # time is not (2 late would be revealed); median 4 days, nearest-rank p90 7 days.
    assert rows["relocation@1.0"] == {
        "kind": "case type", "name": "relocation@1.0", "time_limit": "30 working days",
        "volume": 12, "completion_rate": 0.5833, "on_time_rate": None,
        "median_days": 4.0, "p90_days": 7.0, "open_past_limit": "< 5"}
    # 3 business openings: every count suppressed, nothing derived from them shown.
    assert rows["business-opening@1.0"] == {
        "kind": "case type", "name": "business-opening@1.0", "time_limit": "20 working days",
        "volume": "< 5", "completion_rate": None, "on_time_rate": None,
        "median_days": None, "p90_days": None, "open_past_limit": "< 5"}
    # The tax step of all 15: 12 decided (7 + 3 approved after 1..7 and 2 days, 2 refused
    # after 1), 3 awaited past their 3-day limit; on time: 1, 2, 3 days and the 3 business
    # ones and 2 refusals = 8 of 12 (4 late: revealed, so not shown).
    assert rows[TAX] == {
        "kind": "service", "name": TAX, "time_limit": "3 working days", "volume": 15,
        "completion_rate": None, "on_time_rate": None,
        "median_days": 2.0, "p90_days": 6.0, "open_past_limit": "< 5"}
    assert published_months(figures) == {
        "business-opening@1.0": [{"month": "2026-03", "submitted": "< 5", "completed": "< 5"}],
        "relocation@1.0": [{"month": "2026-03", "submitted": 12, "completed": 7}]}


def test_a_rate_is_shown_only_when_no_count_behind_it_is_small() -> None:
    assert rate(10, 10, 5) == 1.0
    assert rate(5, 10, 5) == 0.5
    assert rate(4, 10, 5) is None  # the part
    assert rate(6, 10, 5) is None  # the rest
    assert rate(4, 4, 5) is None  # the whole
    assert rate(7, 12, 10) is None  # another threshold
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0


def test_the_open_data_names_no_case_applicant_or_step_id() -> None:
    rows = known_cases()
    transparency = Transparency(partial(tally, rows), {}, lambda: NOW, "north")
    figures = transparency.figures()
    data = json.loads(transparency.as_json(figures))
    text = transparency.as_json(figures).decode() + Transparency.as_csv(figures).decode()
    for row in rows:
        assert str(row.id) not in text
    assert "north/portal" not in text
    assert data["threshold"] == 5 and data["suppressed_as"] == "< 5"
    table = list(csv.DictReader(io.StringIO(Transparency.as_csv(figures).decode())))
    assert [(r["name"], r["volume"], r["completion_rate"]) for r in table] == [
        ("business-opening@1.0", "< 5", ""), ("relocation@1.0", "12", "0.5833"),
        (TAX, "15", "")]
