"""The read side of a running hub: its read store, the follower that keeps it live, its metrics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hub.ledger import Ledger
from hub.projections.catalogue import build_projections, time_limits
from hub.projections.follower import ProjectionFollower
from hub.projections.prometheus import render
from hub.projections.reading import ReadView
from hub.projections.runner import ProjectionRunner
from hub.projections.service_metrics import ServiceStats
from hub.projections.store import ReadStore, open_read_store
from hub.routing import ServiceDefinition
from hub.settings import HubSettings

POLL_S = 0.25
"""Idle poll of the follower: read models may trail the ledger by this much (the ledger,
not a read model, is what the hub decides by, so a short lag costs nothing)."""


@dataclass
class LiveProjections:
    """The hub's read store and its follower."""

    store: ReadStore
    follower: ProjectionFollower

    def service_metrics(self) -> list[ServiceStats]:
        """Service metrics as of now (blocking: call from a thread)."""
        return ReadView(self.store, None).metrics()

    def prometheus_text(self) -> str:
        """Service metrics and projection positions in Prometheus text format (blocking)."""
        view = ReadView(self.store, None)
        return render(view.metrics(), view.positions())

    def close(self) -> None:
        """Close the read store (after the follower stopped)."""
        self.store.close()


def live_projections(
    ledger: Ledger, settings: HubSettings, services: Sequence[ServiceDefinition]
) -> LiveProjections:
    """Open the read store beside the ledger and a follower for every projection."""
    store = open_read_store(settings.store, settings.data)
    runner = ProjectionRunner(ledger, store, build_projections(time_limits(services)))
    return LiveProjections(store, ProjectionFollower(runner, poll_s=POLL_S))
