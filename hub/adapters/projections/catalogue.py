"""The hub's projections by name, each configured with the service time limits it is given."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hub.adapters.projections.base import Projection
from hub.adapters.projections.data_use import DataUses
from hub.adapters.projections.errors import UnknownProjectionError
from hub.adapters.projections.exchange_index import ExchangeIndex
from hub.adapters.projections.service_metrics import ServiceMetrics

NAMES = (ExchangeIndex.name, ServiceMetrics.name, DataUses.name)


def build_projections(
    limits: Mapping[str, float], names: Sequence[str] | None = None
) -> list[Projection]:
    """The projections called ``names`` (all when None), configured with ``limits``
    (each service's time limit in seconds, by service id)."""
    for name in names or ():
        if name not in NAMES:
            raise UnknownProjectionError(name, list(NAMES))
    chosen = set(names or NAMES)
    built: list[Projection] = []
    if ExchangeIndex.name in chosen:
        built.append(ExchangeIndex())
    if ServiceMetrics.name in chosen:
        built.append(ServiceMetrics(limits))
    if DataUses.name in chosen:
        built.append(DataUses())
    return built
