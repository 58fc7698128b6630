"""Running a reconciliation: compare, repair what is missing, compare again.

:func:`reconcile` is the flow whatever carries the histories and the repair —
it takes a loader of both histories and, for a repair, a factory of the
:class:`~hub.service_layer.federation.reconciliation.repair.RepairPort` to carry the steps
(opened only when there is something to repair). Two regions' data folders side by side
(:func:`hub.bootstrap.reconciliation.reconcile_folders`) pass a loader of both folders and a
port over both regions' federation applications; an online reconciliation passes a loader
that asks the peer for its history (:meth:`History.from_json`) and a port that sends the
steps over the links.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from hub.service_layer.federation.reconciliation.compare import DEFAULT_GRACE, compare
from hub.service_layer.federation.reconciliation.history import History
from hub.service_layer.federation.reconciliation.repair import (
    RepairAction,
    RepairPort,
    RepairResult,
    apply_repair,
    plan_repair,
)
from hub.service_layer.federation.reconciliation.report import Report

Loader = Callable[[], tuple[History, History]]
PortFactory = Callable[[], AbstractContextManager[RepairPort]]


@dataclass(frozen=True)
class Reconciliation:
    """A report, and with a repair: its steps, their results and the report after them."""

    report: Report
    steps: tuple[RepairAction, ...] = ()
    results: tuple[RepairResult, ...] = ()
    after: Report | None = None

    @property
    def final(self) -> Report:
        """The report that stands: after the repair, if there was one."""
        return self.after or self.report


def reconcile(
    load: Loader, *, grace: dt.timedelta = DEFAULT_GRACE, repair: PortFactory | None = None
) -> Reconciliation:
    """Compare the two histories ``load`` gives; with ``repair``, close what is missing and
    compare freshly loaded histories again."""
    mine, theirs = load()
    report = compare(mine, theirs, grace=grace)
    steps = plan_repair(report, mine, theirs) if repair is not None else []
    if repair is None or not steps:
        return Reconciliation(report)
    with repair() as port:
        results = apply_repair(steps, port)
    after = compare(*load(), grace=grace)
    return Reconciliation(report, tuple(steps), tuple(results), after)
