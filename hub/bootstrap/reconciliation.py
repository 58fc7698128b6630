"""Reconciling two regions' data folders side by side (offline): the composition of the flow.

Each region's history is loaded from its own folder, and a repair runs through each
region's federation application, opened from its own folder with its own keys — which
is why this lives with the other builders of a region's parts, not in the flow itself
(:mod:`hub.service_layer.federation.reconciliation.offline`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

from hub.bootstrap.federation import open_federation
from hub.service_layer.federation.app import utc_now
from hub.service_layer.federation.reconciliation.compare import DEFAULT_GRACE
from hub.service_layer.federation.reconciliation.history import History
from hub.service_layer.federation.reconciliation.loading import load_history
from hub.service_layer.federation.reconciliation.offline import Reconciliation, reconcile
from hub.service_layer.federation.reconciliation.repair import LocalRegions, RepairPort
from hub.settings import HubSettings


def reconcile_folders(
    left: HubSettings,
    right: HubSettings,
    *,
    grace: dt.timedelta = DEFAULT_GRACE,
    repair: bool = False,
    clock: Callable[[], dt.datetime] = utc_now,
) -> Reconciliation:
    """Compare two regions' data folders; with ``repair``, close what is missing and re-check."""

    def load() -> tuple[History, History]:
        return load_history(left, clock=clock), load_history(right, clock=clock)

    @contextmanager
    def local_port() -> Iterator[RepairPort]:
        with ExitStack() as stack:
            apps = {}
            for settings in (left, right):
                region = stack.enter_context(open_federation(settings, clock=clock, create=False))
                apps[region.region] = region.app
            yield LocalRegions(apps)

    return reconcile(load, grace=grace, repair=local_port if repair else None)
