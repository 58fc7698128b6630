"""The read side: projections built by following the ledger, and how to read them.

- :mod:`.exchange_index` — one row per exchange, searchable (``exchanges list``);
- :mod:`.service_metrics` — per service: volume, outcomes, rejection reasons,
  latency percentiles, time-limit breaches (``metrics``, ``/metrics``);
- :mod:`.data_use` — one row per disclosure of a person's data, by subject reference
  (the data-use report; :mod:`.data_use_book` reads it, caught up first);
- :mod:`.access_watch` — unusual access per credential and service, handed to a sink
  that records ``AccessAnomalyRaised`` (run only by the hub, which acts on it);
- :mod:`.runner` applies the ledger's notification log to them, each with its
  tracking position in the same database and transaction as its rows;
- :mod:`.follower` keeps them live inside the hub; :mod:`.reading` opens them
  for a reader (the live ones, or an as-of view built by ``replay --until``).
"""

from hub.adapters.projections.catalogue import NAMES, build_projections
from hub.adapters.projections.data_use import DataUse, DataUses
from hub.adapters.projections.data_use_book import DataUseBook, open_data_uses
from hub.adapters.projections.errors import (
    InvalidQueryError,
    ProjectionError,
    ReadStoreError,
    UnknownProjectionError,
    ViewNotFoundError,
)
from hub.adapters.projections.exchange_index import (
    ExchangeIndex,
    ExchangeQuery,
    IndexedExchange,
    search,
)
from hub.adapters.projections.follower import ProjectionFollower
from hub.adapters.projections.reading import ReadView, build_as_of, open_as_of, open_live
from hub.adapters.projections.runner import ProjectionRunner
from hub.adapters.projections.service_metrics import ServiceMetrics, ServiceStats
from hub.adapters.projections.store import ReadStore, open_read_store

__all__ = [
    "NAMES",
    "DataUse",
    "DataUseBook",
    "DataUses",
    "ExchangeIndex",
    "ExchangeQuery",
    "IndexedExchange",
    "InvalidQueryError",
    "ProjectionError",
    "ProjectionFollower",
    "ProjectionRunner",
    "ReadStore",
    "ReadStoreError",
    "ReadView",
    "ServiceMetrics",
    "ServiceStats",
    "UnknownProjectionError",
    "ViewNotFoundError",
    "build_as_of",
    "build_projections",
    "open_as_of",
    "open_data_uses",
    "open_live",
    "open_read_store",
    "search",
]
