"""The read side of a running hub: its read store, the follower that keeps it live, its metrics."""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass

from hub.adapters.projections.access_watch import AccessWatch
from hub.adapters.projections.access_watch_state import anomaly_counts, recent_anomalies
from hub.adapters.projections.catalogue import build_projections
from hub.adapters.projections.data_use_book import DataUseBook
from hub.adapters.projections.follower import ProjectionFollower
from hub.adapters.projections.label_bounds import bounded, known_codes
from hub.adapters.projections.prometheus import render, render_anomalies
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
    data_uses: DataUseBook
    """Subjects' data-use reports, read from this store (each reading catches up first)."""

    def service_metrics(self) -> list[ServiceStats]:
        """Service metrics as of now (blocking: call from a thread)."""
        return bounded(ReadView(self.store, None).metrics(), self.services, known_codes())

    def prometheus_text(self) -> str:
        """Service metrics and projection positions in Prometheus text format (blocking)."""
        view = ReadView(self.store, None)
        stats = bounded(view.metrics(), self.services, known_codes())
        with self.store.transaction(write=False) as tx:
            anomalies = anomaly_counts(tx)
        return render(stats, view.positions()) + render_anomalies(anomalies)

    def recent_anomalies(self, limit: int = 50) -> list[dict[str, object]]:
        """The access watch's latest anomalies, newest first (blocking: call from a thread)."""
        with self.store.transaction(write=False) as tx:
            return recent_anomalies(tx, limit)

    def close(self) -> None:
        """Close the read store (after the follower stopped)."""
        self.store.close()


def live_projections(
    ledger: Ledger, settings: HubSettings, limits: Mapping[str, float],
    known: Container[str], *, watch: AccessWatch,
) -> LiveProjections:
    """Open the read store beside the ledger and a follower for every projection
    (``limits``: each service's time limit in seconds, by service id), the access
    ``watch`` among them: it follows only in the hub, which acts on what it finds."""
    store = open_read_store(settings.store, settings.data)
    runner = ProjectionRunner(ledger, store, [*build_projections(limits), watch])
    return LiveProjections(store, ProjectionFollower(runner, poll_s=POLL_S), known,
                           DataUseBook(ledger, store))
