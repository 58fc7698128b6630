"""The hub's projections by name, and where their configuration (service time limits) comes from."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from contracts import default_registry
from hub.adapters.projections.base import Projection
from hub.adapters.projections.errors import UnknownProjectionError
from hub.adapters.projections.exchange_index import ExchangeIndex
from hub.adapters.projections.service_metrics import ServiceMetrics
from hub.service_layer.exchanges.routing import ServiceDefinition, load_services

NAMES = (ExchangeIndex.name, ServiceMetrics.name)
SERVICES_FILE = "services.toml"


def build_projections(
    limits: Mapping[str, float], names: Sequence[str] | None = None
) -> list[Projection]:
    """The projections called ``names`` (all when None), configured with ``limits``."""
    for name in names or ():
        if name not in NAMES:
            raise UnknownProjectionError(name, list(NAMES))
    chosen = set(names or NAMES)
    built: list[Projection] = []
    if ExchangeIndex.name in chosen:
        built.append(ExchangeIndex())
    if ServiceMetrics.name in chosen:
        built.append(ServiceMetrics(limits))
    return built


def time_limits(services: Iterable[ServiceDefinition]) -> dict[str, float]:
    """Each service's declared time limit in seconds, by service id (where it declares one)."""
    return {str(s.id): float(s.time_limit_s) for s in services if s.time_limit_s is not None}


def time_limits_in(data_dir: Path) -> dict[str, float]:
    """Time limits from ``DIR/services.toml`` (as the hub's services were declared), if any."""
    path = data_dir / SERVICES_FILE
    if not path.is_file():
        return {}
    return time_limits(load_services(path, default_registry()))
