"""The read side of a running hub: its read store, the follower that keeps it live, its metrics."""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass

from hub.adapters.projections.catalogue import build_projections
from hub.adapters.projections.follower import ProjectionFollower
from hub.adapters.projections.label_bounds import bounded, known_codes
from hub.adapters.projections.prometheus import render
from hub.adapters.projections.reading import ReadView
from hub.adapters.projections.runner import ProjectionRunner
from hub.adapters.projections.service_metrics import ServiceStats
from hub.adapters.projections.store import ReadStore, open_read_store
from hub.adapters.store.ledger import Ledger
from hub.settings import HubSettings

POLL_S = 0.25
"""Idle poll of the follower: read models may trail the ledger by this much (the ledger,
not a read model, is what the hub decides by, so a short lag costs nothing)."""


@dataclass
class LiveProjections:
    """The hub's read store and its follower; metrics name only the ``services`` it knows
    (the region's directory: its own and, federated, those its peers publish)."""

    store: ReadStore
    follower: ProjectionFollower
    services: Container[str]

    def service_metrics(self) -> list[ServiceStats]:
        """Service metrics as of now (blocking: call from a thread)."""
        return bounded(ReadView(self.store, None).metrics(), self.services, known_codes())

    def prometheus_text(self) -> str:
        """Service metrics and projection positions in Prometheus text format (blocking)."""
        view = ReadView(self.store, None)
        stats = bounded(view.metrics(), self.services, known_codes())
        return render(stats, view.positions())

    def close(self) -> None:
        """Close the read store (after the follower stopped)."""
        self.store.close()


def live_projections(
    ledger: Ledger, settings: HubSettings, limits: Mapping[str, float],
    known: Container[str],
) -> LiveProjections:
    """Open the read store beside the ledger and a follower for every projection
    (``limits``: each service's time limit in seconds, by service id)."""
    store = open_read_store(settings.store, settings.data)
    runner = ProjectionRunner(ledger, store, build_projections(limits))
    return LiveProjections(store, ProjectionFollower(runner, poll_s=POLL_S), known)
