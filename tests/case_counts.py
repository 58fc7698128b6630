"""The ``/metrics`` case gauges counted afresh over every case: what the counts the cases
read model keeps must equal (the reference the kept counts are checked against)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from hub.adapters.readmodels.case_figures import AWAITED, CaseLike


def open_by_scan(rows: Iterable[CaseLike], case_types: Iterable[str], services: Iterable[str],
                 now: dt.datetime) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """The ``/metrics`` gauges counted over every case, as a scrape did before the counts
    were kept: open cases and those past due by case type, awaited steps past due by
    service (declared names present with 0)."""
    opened = dict.fromkeys(case_types, 0)
    late = dict.fromkeys(opened, 0)
    steps = dict.fromkeys(services, 0)
    for row in rows:
        if row.status != "open":
            continue
        opened[row.case_type] = opened.get(row.case_type, 0) + 1
        late[row.case_type] = late.get(row.case_type, 0) + (row.due_at <= now)
        for step in row.steps:
            if step.state in AWAITED and step.due_at is not None and step.due_at <= now:
                steps[step.service] = steps.get(step.service, 0) + 1
    return opened, late, steps

