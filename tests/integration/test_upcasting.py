"""Old stores stay readable: upcasting an event class to version 2, and ledger snapshots."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, Snapshot, event

from hub.adapters.crypto.keyring import open_keyring
from hub.adapters.store.ledger import Arrival, Ledger, Translation
from hub.adapters.store.selection import sqlite_environment, store_environment
from hub.bootstrap.privacy import build_ledger
from hub.domain.exchange import Exchange, Status
from hub.settings import HubSettings

# The code that wrote the old store: version 1 of ``Noted`` had no author. It runs in a
# separate interpreter, as the previous release of the hub would have.
VERSION_1 = textwrap.dedent(
    """
    import sys
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event

    class Permit(Aggregate):
        TOPIC = "test-upcasting:permit"

        class Event(Aggregate.Event):
            TOPIC = "test-upcasting:permit.event"

        class Created(Event, Aggregate.Created):
            TOPIC = "test-upcasting:permit.created"

        class Issued(Created):
            TOPIC = "test-upcasting:permit.issued"
            class_version = 1
            holder: str

        @event(Issued)
        def __init__(self, holder):
            self.holder = holder
            self.notes = []

        class Noted(Event):
            TOPIC = "test-upcasting:permit.noted"
            class_version = 1
            text: str

        @event(Noted)
        def note(self, text):
            self.notes.append(text)

    class Permits(Application):
        name = "permits"

    app = Permits({"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": sys.argv[1]})
    permit = Permit("ada")
    permit.note("issued at the counter")
    permit.note("renewed")
    app.save(permit)
    print(permit.id)
    """
)


class Permit(Aggregate):
    """Version 2 of the test aggregate: a note now records who wrote it."""

    TOPIC = "test-upcasting:permit"

    class Event(Aggregate.Event):
        TOPIC = "test-upcasting:permit.event"

    class Created(Event, Aggregate.Created):
        TOPIC = "test-upcasting:permit.created"

    class Issued(Created):
        TOPIC = "test-upcasting:permit.issued"
        class_version = 1
        holder: str

    @event(Issued)
    def __init__(self, holder: str) -> None:
        self.holder = holder
        self.notes: list[tuple[str, str]] = []

    class Noted(Event):
        TOPIC = "test-upcasting:permit.noted"
        class_version = 2
        text: str
        author: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 notes were written before authors were recorded."""
            state["author"] = "unknown"

    @event(Noted)
    def note(self, text: str, author: str) -> None:
        self.notes.append((author, text))


class Permits(Application[UUID]):
    """The test application that reads the old store with today's classes."""

    name = "permits"


def test_store_written_with_version_1_events_replays_with_version_2(tmp_path: Path) -> None:
    """Events stored as version 1 load through upcast_v1_v2; new ones are stored as version 2."""
    path = tmp_path / "permits.sqlite3"
    written = subprocess.run(
        [sys.executable, "-c", VERSION_1, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    permit_id = UUID(written.stdout.strip())
    app = Permits(sqlite_environment(path))
    permit = app.repository.get(permit_id)
    assert isinstance(permit, Permit)
    assert permit.notes == [("unknown", "issued at the counter"), ("unknown", "renewed")]
    permit.note("moved abroad", "clerk-7")
    app.save(permit)
    reopened = Permits(sqlite_environment(path))
    assert reopened.repository.get(permit_id).notes[-1] == ("clerk-7", "moved abroad")
    stored = [json.loads(e.state) for e in reopened.recorder.select_events(permit_id)]
    assert [s.get("class_version", 1) for s in stored] == [1, 1, 1, 2]
    notifications = reopened.recorder.select_notifications(1, 100)
    decoded = [reopened.mapper.to_domain_event(n) for n in notifications]
    assert [getattr(e, "author", None) for e in decoded] == [None, "unknown", "unknown", "clerk-7"]


class SnapshottingLedger(Ledger):
    """The ledger with Exchange snapshots every three events (Exchange is short-lived, so the
    production ledger takes none; this exercises the mechanism long-lived aggregates will use)."""

    name = "ledger"  # the same tables as the ledger's (PostgreSQL names them after the app)
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Exchange: 3}


def _snapshotting(store_url: str | None, data: Path) -> SnapshottingLedger:
    """A snapshotting ledger over the store and keyring :func:`build_ledger` would open."""
    settings = HubSettings(data=data, store=store_url)
    return SnapshottingLedger(store_environment(store_url, data), keyring=open_keyring(settings))


ARRIVAL = Arrival("north/tax", "north/tax/tax-clearance", "corr-s", "json", "sha256:00", 9, "")
TRANSLATION = Translation("tax.clearance-query@1.0", {"tax_year": 2025}, "d", "north/tax", "s")


def _lifecycle(ledger: Ledger) -> UUID:
    exchange_id = ledger.record_accepted(ARRIVAL, TRANSLATION)  # versions 1-3
    ledger.record_response(
        exchange_id, attempt=1, contract="tax.clearance@1.0", document={}, digest="d",
        provider_ms=1.0,
    )  # versions 4-5  # fmt: skip
    ledger.record_completed(exchange_id, reply_digest="r", latency_ms=5.0)  # version 6
    return exchange_id


def test_snapshots_are_taken_at_the_interval(store_url: str | None, tmp_path: Path) -> None:
    """With interval 3, saving an exchange's six events stores snapshots at versions 3 and 6."""
    ledger = _snapshotting(store_url, tmp_path)
    try:
        exchange_id = _lifecycle(ledger)
        assert ledger.snapshots is not None
        assert [s.originator_version for s in ledger.snapshots.get(exchange_id)] == [3, 6]
    finally:
        ledger.close()


def test_loading_starts_from_the_latest_snapshot(store_url: str | None, tmp_path: Path) -> None:
    """An exchange loads from its snapshot and replays only the events recorded after it."""
    plain = build_ledger(HubSettings(data=tmp_path, store=store_url))
    exchange_id = _lifecycle(plain)
    at_three = plain.get(exchange_id, version=3)
    plain.close()
    ledger = _snapshotting(store_url, tmp_path)
    try:
        snapshot = Snapshot.take(at_three)
        # A marker only the snapshot carries: seeing it proves the snapshot was used.
        snapshot.state["correlation_id"] = "from-snapshot"
        assert ledger.snapshots is not None
        ledger.snapshots.put([snapshot])
        loaded = ledger.get(exchange_id)
        assert loaded.correlation_id == "from-snapshot"
        assert (loaded.version, loaded.status) == (6, Status.COMPLETED)  # 4-6 replayed on top
    finally:
        ledger.close()


def test_snapshot_keeps_the_status_enum(tmp_path: Path) -> None:
    """An exchange loaded from a snapshot still has a Status, not a bare string."""
    ledger = _snapshotting(None, tmp_path)
    try:
        exchange_id = _lifecycle(ledger)  # the latest snapshot is at the last version
        assert isinstance(ledger.get(exchange_id).status, Status)
    finally:
        ledger.close()
