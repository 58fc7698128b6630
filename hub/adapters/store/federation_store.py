"""Where the federation application keeps its events: beside the ledger, in its own table.

The same store as the ledger (``hub.adapters.store.selection.store_environment``): SQLite in the
data folder, or PostgreSQL by URL. The tables differ: eventsourcing's
PostgreSQL factory names an application's table ``<name>_events``
(``federation_events`` here, ``ledger_events`` for the ledger), but its SQLite
factory always uses ``stored_events``, whatever the application. So that both
back ends keep federation events apart from the ledger's (the outbox relay and
the audit read the ledger's table), SQLite gets a recorder whose table is
``federation_events`` too, chosen through eventsourcing's
``APPLICATION_RECORDER_TOPIC`` setting, and snapshots go to
``federation_snapshots`` on both (:func:`snapshot_recorder`).
"""

from __future__ import annotations

from pathlib import Path

from eventsourcing.persistence import AggregateRecorder, InfrastructureFactory
from eventsourcing.sqlite import (
    SQLiteAggregateRecorder,
    SQLiteApplicationRecorder,
    SQLiteDatastore,
    SQLiteFactory,
)
from eventsourcing.utils import get_topic

from hub.adapters.store.selection import store_environment

APPLICATION_NAME = "federation"
EVENTS_TABLE = f"{APPLICATION_NAME}_events"
SNAPSHOTS_TABLE = f"{APPLICATION_NAME}_snapshots"


class FederationSQLiteRecorder(SQLiteApplicationRecorder):
    """eventsourcing's SQLite application recorder, on the ``federation_events`` table."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = EVENTS_TABLE) -> None:
        super().__init__(datastore, events_table_name)


def federation_environment(store_url: str | None, data_dir: Path) -> dict[str, str]:
    """eventsourcing settings for the federation application, beside the ledger's store."""
    env = store_environment(store_url, data_dir)
    if env.get("PERSISTENCE_MODULE") == "eventsourcing.sqlite":
        # Prefixed with the application name: harmless if the dict reaches the ledger too.
        env[f"{APPLICATION_NAME.upper()}_APPLICATION_RECORDER_TOPIC"] = get_topic(
            FederationSQLiteRecorder
        )
    return env


def snapshot_recorder(factory: InfrastructureFactory) -> AggregateRecorder:  # type: ignore[type-arg]
    """Where the federation application keeps snapshots: ``federation_snapshots`` everywhere."""
    if isinstance(factory, SQLiteFactory):
        recorder = SQLiteAggregateRecorder(factory.datastore, SNAPSHOTS_TABLE)
        if factory.env_create_table():
            recorder.create_table()
        return recorder
    return factory.aggregate_recorder(purpose="snapshots")
