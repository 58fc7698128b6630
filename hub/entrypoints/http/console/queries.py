"""What the console and the operator API read and do: one place, shared by both.

Every method blocks (event store, read store, audit files, NATS for an online
reconcile): the HTTP layer calls them in a worker thread. Actions return what
they did so the caller can record it as an operator action
(hub.service_layer.operators.directory) — the console records every one, successful or not.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from contracts.errors import HubError
from hub.adapters.projections import ExchangeQuery, ReadView
from hub.adapters.projections.live import LiveProjections
from hub.adapters.projections.service_metrics import ServiceStats
from hub.adapters.store.ledger import Ledger
from hub.entrypoints.http.console import series as series_module
from hub.service_layer.audit import Auditor
from hub.service_layer.audit.verify import VerifyReport
from hub.service_layer.exchanges.dead_letter_views import DeadLetterEntry, dead_letters, requeue
from hub.service_layer.exchanges.views import (
    ExchangeSummary,
    TimelineEntry,
    find_exchange,
    indexed_summaries,
    timeline,
)
from hub.service_layer.federation.reconciliation.history import History
from hub.service_layer.federation.reconciliation.loading import load_history
from hub.service_layer.federation.reconciliation.report import Report
from hub.service_layer.security.report import DataUse, subject_report
from hub.settings import HubSettings


@dataclass(frozen=True)
class VerifyOutcome:
    """The last audit verify this hub ran for an operator: when, by whom, what it found."""

    at: dt.datetime
    by: str
    ok: bool
    events: int
    checkpoints: int
    problems: tuple[str, ...]


@dataclass(frozen=True)
class ReconcileOutcome:
    """The last reconciliation with one peer: its counts and findings."""

    peer: str
    at: dt.datetime
    by: str
    summary: str
    counts: Mapping[str, int]
    findings: tuple[dict[str, str], ...]
    error: str | None = None


@dataclass
class ConsoleQueries:
    """Reads and acts on one region's hub for operators."""

    settings: HubSettings
    ledger: Ledger
    projections: LiveProjections
    auditor: Auditor
    limits: Mapping[str, float]
    peers: tuple[str, ...] = ()
    # Compare with a running peer (hub.service_layer.federation.reconciliation.online), injected by
    # bootstrap.
    reconcile_with: Callable[[str], Report] | None = None
    wake_relay: Callable[[], None] | None = None
    last_verify: VerifyOutcome | None = None
    reconciliations: dict[str, ReconcileOutcome] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def region(self) -> str:
        """This hub's region code."""
        return self.settings.region

    def _view(self) -> ReadView:
        return ReadView(self.projections.store, None)

    # -- exchanges and metrics -----------------------------------------------------------------

    def exchanges(self, query: ExchangeQuery, limit: int = 200) -> list[ExchangeSummary]:
        """The newest ``limit`` exchanges matching ``query``, newest first."""
        rows = indexed_summaries(self._view(), query)
        return list(reversed(rows[-limit:]))

    def timeline(self, exchange: str) -> tuple[UUID, list[TimelineEntry]]:
        """One exchange (an id or a unique prefix) and its events."""
        uid = find_exchange(self.ledger, exchange)
        return uid, timeline(self.ledger, uid)

    def metrics(self) -> list[ServiceStats]:
        """Per-service totals from the live read model."""
        return self.projections.service_metrics()

    def series(self, service: str | None, hours: float, buckets: int = 24
               ) -> series_module.Series:
        """Per-bucket figures of the last ``hours`` for ``service`` (or every service)."""
        until = dt.datetime.now(dt.UTC)
        since = until - dt.timedelta(hours=hours)
        return series_module.series(self._view(), since=since, until=until, buckets=buckets,
                                    service=service, limits=self.limits)

    # -- dead letters (hub.service_layer.exchanges.dead_letter_views)
    # --------------------------------------------------------

    def dead_letters(self, include_requeued: bool = False) -> list[DeadLetterEntry]:
        """Dead-lettered exchanges, with the reason each gave up."""
        return dead_letters(self.ledger, include_requeued=include_requeued)

    def requeue(self, exchange: str, by: str) -> str:
        """Put a dead letter back on the delivery path; the relay publishes it again."""
        uid = find_exchange(self.ledger, exchange)
        requeue(self.ledger, uid, by=f"console:{by}", reason="requeued from the console")
        if self.wake_relay is not None:
            self.wake_relay()
        return str(uid)

    # -- audit ---------------------------------------------------------------------------------

    def checkpoints(self, limit: int = 20) -> list[dict[str, Any]]:
        """This region's latest signed checkpoints, newest first (each verified)."""
        history = self.history()
        return [vars(c) for c in reversed(history.checkpoints[-limit:])]

    def verify(self, by: str) -> VerifyOutcome:
        """Recompute the audit tree from the store and check every checkpoint."""
        report: VerifyReport = self.auditor.verify()
        outcome = VerifyOutcome(dt.datetime.now(dt.UTC), by, report.ok, report.events,
                                report.checkpoints, tuple(report.problems))
        with self._lock:
            self.last_verify = outcome
        return outcome

    def checkpoint(self) -> dict[str, Any]:
        """Sign a checkpoint now over every stored event."""
        signed = self.auditor.checkpoint()
        return {"size": signed.size, "root": signed.root_hash.hex()}

    # -- data subjects (hub.service_layer.security.report)
    # ---------------------------------------------------

    def subject_report(self, subject: str) -> tuple[str, list[DataUse]]:
        """A subject's reference (from an identifier or a reference) and every use of their data."""
        return subject_report(self.projections.data_uses, subject)

    # -- federation and reconciliation ---------------------------------------------------------

    def history(self) -> History:
        """What this region recorded that peers can check (agreements, decisions, checkpoints)."""
        return load_history(self.settings)

    def reconcile(self, peer: str, by: str) -> ReconcileOutcome:
        """Compare with ``peer``'s running hub (no repair: that stays a deliberate CLI step)."""
        if peer not in self.peers or self.reconcile_with is None:
            raise HubError(f"region {peer!r} is not a peer of {self.region}")
        now = dt.datetime.now(dt.UTC)
        try:
            report = self.reconcile_with(peer)
        except HubError as exc:
            outcome = ReconcileOutcome(peer, now, by, "could not run", {}, (), exc.message)
        else:
            findings = tuple(f.as_json() for f in report.findings)
            outcome = ReconcileOutcome(peer, now, by, report.summary(), report.counts, findings)
        with self._lock:
            self.reconciliations[peer] = outcome
        return outcome
