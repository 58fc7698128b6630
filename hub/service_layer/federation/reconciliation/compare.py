"""The comparison core: two regions' histories in, a report out. Pure: no store, no clock.

Each direction is compared on its own — what ``left`` issued and asked of
``right``, and the reverse — and so are the checkpoints each holds of the
other. "Recent" means within ``grace`` of the ``as_of`` of the history that
should already show the answer, so the same two histories always give the
same report.
"""

from __future__ import annotations

import datetime as dt

from hub.service_layer.federation.reconciliation.checkpoints import checkpoint_findings
from hub.service_layer.federation.reconciliation.errors import ReconciliationError
from hub.service_layer.federation.reconciliation.history import History
from hub.service_layer.federation.reconciliation.queries import query_findings
from hub.service_layer.federation.reconciliation.report import Category, Finding, Report
from hub.service_layer.federation.reconciliation.statements import statement_findings

DEFAULT_GRACE = dt.timedelta(seconds=120)
"""How long a statement or query may go unanswered before it counts as missing."""

_ORDER = {category: rank for rank, category in enumerate(Category)}


def compare(left: History, right: History, *, grace: dt.timedelta = DEFAULT_GRACE) -> Report:
    """What is missing, duplicated, divergent or pending between two regions' histories."""
    if left.region == right.region:
        raise ReconciliationError(
            f"both histories are of region {left.region!r}: compare two regions' folders "
            "(a folder without region keys counts as $HUB_REGION's)")
    findings: list[Finding] = []
    for one, other in ((left, right), (right, left)):
        findings += statement_findings(one, other, grace)
        findings += query_findings(one, other, grace)
        findings += checkpoint_findings(one, other)
    findings.sort(key=lambda f: (_ORDER[f.category], f.kind, f.holder, f.key, f.detail))
    return Report(left.region, right.region, tuple(findings))
