"""Opening read models for a reader: the live ones (caught up first) or an as-of view.

The live read models sit beside the ledger and are brought up to date before
they are read, so a command run while no hub is running still sees every
recorded event (the catch-up is incremental: only events since the last one).

An as-of view (``replay --until T``) is built into its own SQLite file,
``DIR/as-of/<T>.sqlite3``, never into the live tables: a running hub keeps
following the present, its ``/metrics`` never go back in time, and several
past moments can be kept side by side. It is a local operator's artefact, so
it is SQLite even when the ledger is in PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hub.adapters.projections import positions
from hub.adapters.projections.catalogue import build_projections
from hub.adapters.projections.errors import ViewNotFoundError
from hub.adapters.projections.runner import PageCallback, ProjectionRunner
from hub.adapters.projections.service_metrics import ServiceStats, read_metrics
from hub.adapters.projections.store import ReadStore, SQLiteReadStore, as_of_path, open_read_store
from hub.adapters.projections.timestamps import to_micros
from hub.adapters.store.ledger import Ledger


@dataclass
class ReadView:
    """An open read store and the moment it shows (None: the present)."""

    store: ReadStore
    as_of: dt.datetime | None

    def metrics(self, now: dt.datetime | None = None) -> list[ServiceStats]:
        """Service metrics; overdue exchanges are counted at the view's moment (or ``now``)."""
        moment = self.as_of or now or dt.datetime.now(dt.UTC)
        with self.store.transaction(write=False) as tx:
            return read_metrics(tx, to_micros(moment))

    def positions(self) -> dict[str, int]:
        """Each projection's ledger position."""
        with self.store.transaction(write=False) as tx:
            return {name: p.position for name, p in positions.read_all(tx).items()}

    def close(self) -> None:
        """Close the store."""
        self.store.close()


def open_live(
    ledger: Ledger, store_url: str | None, data_dir: Path, limits: Mapping[str, float]
) -> ReadView:
    """The live read models, caught up with ``ledger``."""
    store = open_read_store(store_url, data_dir)
    try:
        runner = ProjectionRunner(ledger, store, build_projections(limits))
        runner.prepare()
        runner.catch_up()
    except BaseException:
        store.close()
        raise
    return ReadView(store, None)


def open_as_of(data_dir: Path, moment: dt.datetime) -> ReadView:
    """The as-of view of ``moment`` built earlier by :func:`build_as_of`."""
    moment = _aware(moment)
    path = as_of_path(data_dir, moment)
    if not path.is_file():
        raise ViewNotFoundError(
            f"no view as of {moment.isoformat()} in {path.parent}; "
            f"build it with `interop-hub replay --until {moment.isoformat()}`"
        )
    return ReadView(SQLiteReadStore(path), moment)


def build_as_of(
    ledger: Ledger,
    data_dir: Path,
    moment: dt.datetime,
    limits: Mapping[str, float],
    *,
    names: Sequence[str] | None = None,
    on_page: PageCallback | None = None,
) -> tuple[Path, int]:
    """Build (or rebuild) the as-of view of ``moment``; returns its file and events read."""
    moment = _aware(moment)
    path = as_of_path(data_dir, moment)
    store = SQLiteReadStore(path)
    try:
        runner = ProjectionRunner(ledger, store, build_projections(limits, names))
        read = runner.rebuild(until=moment, on_page=on_page)
    finally:
        store.close()
    return path, read


def _aware(moment: dt.datetime) -> dt.datetime:
    """Event times are aware (UTC); a naive moment is taken as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
