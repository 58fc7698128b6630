"""Where the audit alarms keep their events: beside the ledger, in their own table.

``audit_alarms_events``, as the federation application keeps
``federation_events`` (:mod:`hub.adapters.store.federation_store` says why
SQLite needs a recorder of its own for that), not in the ledger: the ledger's
table is what the Merkle log covers and what the relay and the projections follow.
"""

from __future__ import annotations

from pathlib import Path

from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore
from eventsourcing.utils import get_topic

from hub.adapters.store.selection import store_environment

APPLICATION_NAME = "audit_alarms"
EVENTS_TABLE = f"{APPLICATION_NAME}_events"


class AlarmsSQLiteRecorder(SQLiteApplicationRecorder):
    """eventsourcing's SQLite application recorder, on the ``audit_alarms_events`` table."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = EVENTS_TABLE) -> None:
        super().__init__(datastore, events_table_name)


def alarms_environment(store_url: str | None, data_dir: Path) -> dict[str, str]:
    """eventsourcing settings for the alarms, beside the ledger's store in a table of their own."""
    env = store_environment(store_url, data_dir)
    if env.get("PERSISTENCE_MODULE") == "eventsourcing.sqlite":
        env[f"{APPLICATION_NAME.upper()}_APPLICATION_RECORDER_TOPIC"] = get_topic(
            AlarmsSQLiteRecorder
        )
    return env
