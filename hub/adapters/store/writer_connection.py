"""The group-commit writer's own connection to a SQLite ledger.

SQLite keeps a page cache per connection and, in WAL mode, drops all of it at the
start of a transaction when any other connection has written since that
connection's last one. The library's pool hands its connections out in turn
(first in, first out), so under load every write transaction ran on a connection
whose cache another connection's commit had just voided, and read the pages it
was about to change back from the write-ahead log: several ``pread`` calls per
query (``strace``, P1 load), on top of the page writes themselves. The writer
commits nearly all of a hub's writes; on a connection of its own, the pages its
last commit left in the cache are still valid at the next one unless another
writer (an operator command, another process of a pool) wrote in between.

PostgreSQL keeps its buffers in the server, shared by every connection: the
writer uses the application's recorder there.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore, SQLiteFactory


class WriterConnection:
    """A one-connection datastore and recorder on the application's SQLite file."""

    def __init__(self, factory: SQLiteFactory) -> None:
        pool = factory.datastore.pool
        self.datastore = SQLiteDatastore(
            db_name=pool.db_name, lock_timeout=pool.lock_timeout, pool_size=1,
            max_overflow=0, originator_id_type=factory.datastore.originator_id_type,
        )
        self.recorder = SQLiteApplicationRecorder(self.datastore)

    def close(self) -> None:
        self.datastore.close()


def writer_connection(factory: InfrastructureFactory[Any]) -> WriterConnection | None:
    """A connection of the writer's own on a SQLite file; None for any other store
    (PostgreSQL, or an in-memory SQLite database, which a second connection would not see)."""
    if not isinstance(factory, SQLiteFactory) or factory.datastore.pool.is_sqlite_memory_mode:
        return None
    return WriterConnection(factory)
