"""SQLite's part of backup and restore: an online copy, and the ledger's rewinds.

The copy uses SQLite's online backup API (``sqlite3.Connection.backup``), which
copies pages while the hub goes on writing and restarts itself when a writer
changed a page it had copied: the result is one consistent snapshot, and the
hub is never stopped. The ledger's table names are eventsourcing's SQLite
ones: ``stored_events`` (position = ``rowid``) and ``tracking``.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hub.adapters.backup.cutoff import CutOff, listing
from hub.adapters.backup.errors import BackupError

SQLITE_HEADER = b"SQLite format 3\x00"
_PAGES_PER_STEP = -1  # one step: one read transaction, never restarted by writers


def is_sqlite_file(path: Path) -> bool:
    """True when ``path`` starts with SQLite's file header."""
    try:
        with open(path, "rb") as handle:
            return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def online_copy(source: Path, target: Path) -> None:
    """A consistent copy of the SQLite database ``source`` into the new file ``target``."""
    try:
        with contextlib.closing(sqlite3.connect(
                f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)) as src, \
                contextlib.closing(sqlite3.connect(target)) as dst:
            src.backup(dst, pages=_PAGES_PER_STEP)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy {source}: {exc}") from exc


@dataclass(frozen=True)
class LedgerExtent:
    """How much a copied ledger holds: its event count and last position."""

    events: int
    last_position: int


def ledger_extent(path: Path) -> LedgerExtent:
    """Events and last position of the SQLite ledger at ``path`` (0, 0 when it has none)."""
    with _open(path) as conn:
        if not _has_table(conn, "stored_events"):
            return LedgerExtent(0, 0)
        count, last = conn.execute("SELECT COUNT(*), MAX(rowid) FROM stored_events").fetchone()
    return LedgerExtent(int(count), int(last or 0))


def cut_after_leaf(path: Path, tree_size: int) -> CutOff:
    """Keep the first ``tree_size`` events of the ledger at ``path``; drop the rest and every
    tracked position beyond the kept one. Returns what was dropped."""
    with _open(path) as conn:
        found = conn.execute("SELECT rowid FROM stored_events ORDER BY rowid LIMIT 1 OFFSET ?",
                             (tree_size - 1,)).fetchone() if tree_size else (0,)
        if found is None:
            raise BackupError(f"the restored ledger holds fewer than {tree_size} events")
        kept = int(found[0])
        cut = listing(kept, conn.execute(
            "SELECT originator_id, topic FROM stored_events WHERE rowid > ? ORDER BY rowid",
            (kept,)))
        conn.execute("DELETE FROM stored_events WHERE rowid > ?", (kept,))
        if _has_table(conn, "tracking"):  # eventsourcing's own marker row stays
            conn.execute("DELETE FROM tracking WHERE notification_id > ? "
                         "AND application_name != '__migration__'", (kept,))
        conn.commit()
    return cut


def unanswered_routed(path: Path, routed: tuple[str, ...], answers: tuple[str, ...]) -> int | None:
    """The first position of a ``routed`` event whose aggregate has no ``answers`` event."""
    # Topics are bound as one JSON array each (json_each), so the query text is constant.
    with _open(path) as conn:
        row = conn.execute(
            "SELECT MIN(rowid) FROM stored_events WHERE topic IN (SELECT value FROM json_each(?)) "
            "AND originator_id NOT IN (SELECT originator_id FROM stored_events "
            "WHERE topic IN (SELECT value FROM json_each(?)))",
            (json.dumps(routed), json.dumps(answers))).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def set_tracking(path: Path, application: str, position: int) -> None:
    """Set ``application``'s tracked position in the ledger at ``path`` (0: none)."""
    with _open(path) as conn:
        if not _has_table(conn, "tracking"):
            return
        conn.execute("DELETE FROM tracking WHERE application_name = ?", (application,))
        if position > 0:
            conn.execute("INSERT INTO tracking (application_name, notification_id) VALUES (?, ?)",
                         (application, position))
        conn.commit()


def topic_counts(path: Path) -> Counter[str]:
    """How many events of each topic the ledger at ``path`` holds."""
    with _open(path) as conn:
        if not _has_table(conn, "stored_events"):
            return Counter()
        return Counter({str(t): int(n) for t, n in conn.execute(
            "SELECT topic, COUNT(*) FROM stored_events GROUP BY topic")})


@contextlib.contextmanager
def _open(path: Path) -> Iterator[sqlite3.Connection]:
    try:
        conn = sqlite3.connect(path, timeout=30)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot open {path}: {exc}") from exc
    try:
        yield conn
    except sqlite3.Error as exc:
        raise BackupError(f"{path}: {exc}") from exc
    finally:
        conn.close()


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                        (name,)).fetchone() is not None
