"""Reconciliation: what two regions believe happened, compared and repaired.

- :mod:`.history` — a region's history as small values, and its JSON form (it travels);
- :mod:`.loading` — a history from a data folder (offline), needing no key;
- :mod:`.compare` — the pure comparison core, ``compare(left, right) -> Report``;
- :mod:`.report` — findings (missing, duplicated, divergent, pending) and exit codes;
- :mod:`.repair` — the repair planner and a port to carry it out;
- :mod:`.offline` — the flow (compare, repair, compare again); two data folders side by side
  are composed in :mod:`hub.bootstrap.reconciliation`;
- :mod:`.online` — the same against a running peer, over the region links;
- :mod:`.responder` — this region's history, answered to a peer that asks (online).
"""

from hub.service_layer.federation.reconciliation.compare import DEFAULT_GRACE, compare
from hub.service_layer.federation.reconciliation.errors import (
    HistoryFormatError,
    ReconciliationError,
)
from hub.service_layer.federation.reconciliation.history import HISTORY_FORMAT, History
from hub.service_layer.federation.reconciliation.loading import load_history
from hub.service_layer.federation.reconciliation.offline import Reconciliation, reconcile
from hub.service_layer.federation.reconciliation.repair import (
    LocalRegions,
    RepairAction,
    RepairPort,
    RepairResult,
    apply_repair,
    plan_repair,
)
from hub.service_layer.federation.reconciliation.report import Category, Finding, Report

__all__ = [
    "DEFAULT_GRACE",
    "HISTORY_FORMAT",
    "Category",
    "Finding",
    "History",
    "HistoryFormatError",
    "LocalRegions",
    "Reconciliation",
    "ReconciliationError",
    "RepairAction",
    "RepairPort",
    "RepairResult",
    "Report",
    "apply_repair",
    "compare",
    "load_history",
    "plan_repair",
    "reconcile",
]
