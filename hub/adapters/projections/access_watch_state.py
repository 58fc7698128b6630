"""The access watch's state in the read store: small tables, each bounded by time.

- ``watch_arrivals``: arrivals whose outcome (Translated or Rejected) was not in
  the same page; an outcome follows in the same transaction, so rows are few
  and pruned after an hour at most;
- ``watch_baselines``: per (who, service) the current hour, distinct subjects
  seen in it, the baseline, and whether the hour raised its alarm;
- ``watch_hour_subjects``: the subject references of the current hour (to
  count each person once), older hours deleted as the hour turns;
- ``watch_refusals`` and ``watch_lookups``: refusals per who, and departments per
  subject, inside the longest window of any policy;
- ``watch_raised``: every anomaly the watch handed on (the console, ``/metrics``
  and the replay check read it); one row per alarm, a handful a day.

``who`` is a credential id (hex), ``department:<region/department>`` where no
credential is known, or (for one person looked up by many) the subject reference.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import ClassVar

from hub.adapters.projections.store import Tx
from hub.domain.access_anomaly import Evidence


class WatchState:
    """Reads and writes the watch's tables within one transaction."""

    TABLES: ClassVar[tuple[str, ...]] = (
        "watch_arrivals", "watch_baselines", "watch_hour_subjects", "watch_refusals",
        "watch_lookups", "watch_raised",
    )

    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    @staticmethod
    def create(tx: Tx) -> None:
        """Create the tables if they do not exist."""
        for ddl in (
            "watch_arrivals (exchange_id TEXT PRIMARY KEY, client TEXT NOT NULL, "
            "credential TEXT NOT NULL, service TEXT NOT NULL, at_us BIGINT NOT NULL)",
            "watch_baselines (who TEXT NOT NULL, service TEXT NOT NULL, hour BIGINT NOT NULL, "
            "seen INTEGER NOT NULL, baseline DOUBLE PRECISION NOT NULL, "
            "alarmed INTEGER NOT NULL, PRIMARY KEY (who, service))",
            "watch_hour_subjects (who TEXT NOT NULL, service TEXT NOT NULL, "
            "hour BIGINT NOT NULL, subject TEXT NOT NULL, "
            "PRIMARY KEY (who, service, hour, subject))",
            "watch_refusals (who TEXT NOT NULL, exchange_id TEXT NOT NULL, "
            "at_us BIGINT NOT NULL)",
            "watch_lookups (subject TEXT NOT NULL, department TEXT NOT NULL, "
            "at_us BIGINT NOT NULL, PRIMARY KEY (subject, department))",
            "watch_raised (id TEXT PRIMARY KEY, kind TEXT NOT NULL, who TEXT NOT NULL, "
            "credential TEXT NOT NULL, department TEXT NOT NULL, service TEXT NOT NULL, "
            "subject TEXT NOT NULL, window_start TEXT NOT NULL, window_end TEXT NOT NULL, "
            "count INTEGER NOT NULL, threshold INTEGER NOT NULL, sample TEXT NOT NULL, "
            "detail TEXT NOT NULL, action TEXT NOT NULL, at_us BIGINT NOT NULL)",
        ):
            tx.execute(f"CREATE TABLE IF NOT EXISTS {ddl}")

    @staticmethod
    def create_indexes(tx: Tx) -> None:
        """The indexes pruning and the window counts use."""
        for ddl in (
            "ix_watch_arrivals_at ON watch_arrivals (at_us)",
            "ix_watch_refusals_who ON watch_refusals (who, at_us)",
            "ix_watch_refusals_at ON watch_refusals (at_us)",
            "ix_watch_lookups_at ON watch_lookups (at_us)",
            "ix_watch_subjects_hour ON watch_hour_subjects (hour)",
            "ix_watch_raised_who ON watch_raised (kind, who, at_us)",
        ):
            tx.execute(f"CREATE INDEX IF NOT EXISTS {ddl}")

    # --- arrivals waiting for their outcome ---

    def remember_arrivals(self, rows: Iterable[tuple[str, str, str, str, int]]) -> None:
        """Keep arrivals whose outcome comes in a later page."""
        self._tx.executemany(
            "INSERT INTO watch_arrivals (exchange_id, client, credential, service, at_us) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", list(rows))

    def take_arrival(self, exchange_id: str) -> tuple[str, str, str, int] | None:
        """(client, credential, service, at_us) of a remembered arrival, forgetting it."""
        rows = self._tx.query("SELECT client, credential, service, at_us FROM watch_arrivals "
                              "WHERE exchange_id = ?", (exchange_id,))
        if not rows:
            return None
        self._tx.execute("DELETE FROM watch_arrivals WHERE exchange_id = ?", (exchange_id,))
        client, credential, service, at_us = rows[0]
        return str(client), str(credential), str(service), int(at_us)

    # --- distinct subjects per hour against the baseline ---

    def baseline(self, who: str, service: str, hour: int, alpha: float
                 ) -> tuple[int, float, bool]:
        """(hour counted in, baseline, alarmed) for ``who`` on ``service`` at ``hour``.

        When the hour has turned, the hour just ended is learnt (unless it raised an
        alarm) and every quiet hour since counts as zero: the baseline decays by
        ``1 - alpha`` per hour. An event stamped in an hour already closed (commits
        overlap by moments) counts in the current one.
        """
        rows = self._tx.query("SELECT hour, seen, baseline, alarmed FROM watch_baselines "
                              "WHERE who = ? AND service = ?", (who, service))
        if not rows:
            self._tx.execute("INSERT INTO watch_baselines (who, service, hour, seen, baseline, "
                             "alarmed) VALUES (?, ?, ?, 0, 0.0, 0)", (who, service, hour))
            return hour, 0.0, False
        last, seen, value, alarmed = int(rows[0][0]), int(rows[0][1]), float(rows[0][2]), \
            bool(rows[0][3])
        if hour <= last:
            return last, value, alarmed
        if not alarmed:
            value = alpha * seen + (1 - alpha) * value
        value *= (1 - alpha) ** min(hour - last - 1, 1000)
        self._tx.execute("DELETE FROM watch_hour_subjects WHERE who = ? AND service = ? "
                         "AND hour < ?", (who, service, hour))
        self._tx.execute("UPDATE watch_baselines SET hour = ?, seen = 0, baseline = ?, "
                         "alarmed = 0 WHERE who = ? AND service = ?", (hour, value, who, service))
        return hour, value, False

    def add_subject(self, who: str, service: str, hour: int, subject: str) -> int | None:
        """Count ``subject`` in the hour; the distinct count, or None if already counted."""
        added = self._tx.execute(
            "INSERT INTO watch_hour_subjects (who, service, hour, subject) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING", (who, service, hour, subject))
        if added != 1:
            return None
        self._tx.execute("UPDATE watch_baselines SET seen = seen + 1 WHERE who = ? AND "
                         "service = ?", (who, service))
        rows = self._tx.query("SELECT seen FROM watch_baselines WHERE who = ? AND service = ?",
                              (who, service))
        return int(rows[0][0])

    def mark_alarmed(self, who: str, service: str) -> None:
        """This hour raised its alarm: not again this hour, and it will not be learnt."""
        self._tx.execute("UPDATE watch_baselines SET alarmed = 1 WHERE who = ? AND service = ?",
                         (who, service))

    def hour_subjects(self, who: str, service: str, hour: int, limit: int) -> list[str]:
        """A sample of the hour's subject references."""
        rows = self._tx.query("SELECT subject FROM watch_hour_subjects WHERE who = ? AND "
                              "service = ? AND hour = ? ORDER BY subject LIMIT ?",
                              (who, service, hour, limit))
        return [str(r[0]) for r in rows]

    # --- sliding windows ---

    def add_refusal(self, who: str, exchange_id: str, at_us: int, window_us: int
                    ) -> tuple[int, int]:
        """Count a refusal; (refusals in the window, when the first of them was)."""
        self._tx.execute("INSERT INTO watch_refusals (who, exchange_id, at_us) VALUES (?, ?, ?)",
                         (who, exchange_id, at_us))
        self._tx.execute("DELETE FROM watch_refusals WHERE who = ? AND at_us < ?",
                         (who, at_us - window_us))
        rows = self._tx.query("SELECT COUNT(*), MIN(at_us) FROM watch_refusals WHERE who = ?",
                              (who,))
        return int(rows[0][0]), int(rows[0][1])

    def refusal_sample(self, who: str, limit: int) -> list[str]:
        """The exchange ids of the latest refusals of ``who``."""
        rows = self._tx.query("SELECT exchange_id FROM watch_refusals WHERE who = ? "
                              "ORDER BY at_us DESC LIMIT ?", (who, limit))
        return [str(r[0]) for r in rows]

    def add_lookup(self, subject: str, department: str, at_us: int, window_us: int
                   ) -> tuple[int, list[str]]:
        """Note that ``department`` looked ``subject`` up; (first lookup in the window,
        departments in it, in order of their latest lookup)."""
        self._tx.execute(
            "INSERT INTO watch_lookups (subject, department, at_us) VALUES (?, ?, ?) "
            "ON CONFLICT (subject, department) DO UPDATE SET at_us = excluded.at_us",
            (subject, department, at_us))
        self._tx.execute("DELETE FROM watch_lookups WHERE subject = ? AND at_us < ?",
                         (subject, at_us - window_us))
        rows = self._tx.query("SELECT department, at_us FROM watch_lookups WHERE subject = ? "
                              "ORDER BY at_us, department", (subject,))
        return int(rows[0][1]), [str(r[0]) for r in rows]

    # --- what was raised ---

    def raised(self, anomaly_id: object) -> bool:
        """Whether this evidence was handed on before."""
        return bool(self._tx.query("SELECT 1 FROM watch_raised WHERE id = ?", (str(anomaly_id),)))

    def raised_since(self, kind: str, who: str, since_us: int) -> bool:
        """Whether an anomaly of ``kind`` about ``who`` ended at or after ``since_us``."""
        return bool(self._tx.query("SELECT 1 FROM watch_raised WHERE kind = ? AND who = ? AND "
                                   "at_us >= ? LIMIT 1", (kind, who, since_us)))

    def record_raised(self, evidence: Evidence, action: str, *, who: str, at_us: int) -> None:
        """Remember an anomaly handed on (``at_us``: the end of its window)."""
        e = evidence
        self._tx.execute(
            "INSERT INTO watch_raised (id, kind, who, credential, department, service, subject, "
            "window_start, window_end, count, threshold, sample, detail, action, at_us) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (str(e.id), e.kind, who, e.credential, e.department, e.service, e.subject,
             e.window_start, e.window_end, e.count, e.threshold, json.dumps(list(e.sample)),
             e.detail, action, at_us))

    def prune(self, *, before_us: int, hour: int) -> None:
        """Forget what no window reaches any more (bounded state)."""
        # Table names are our constants; the value travels as a parameter.
        for table in ("watch_arrivals", "watch_refusals", "watch_lookups"):
            self._tx.execute(f"DELETE FROM {table} WHERE at_us < ?", (before_us,))  # noqa: S608
        self._tx.execute("DELETE FROM watch_hour_subjects WHERE hour < ?", (hour - 1,))


_RAISED_COLUMNS = ("id", "kind", "credential", "department", "service", "subject",
                   "window_start", "window_end", "count", "threshold", "sample", "detail",
                   "action")
_RECENT = (f"SELECT {', '.join(_RAISED_COLUMNS)} FROM watch_raised "  # noqa: S608 (constants)
           "ORDER BY at_us DESC, id LIMIT ?")


def anomaly_counts(tx: Tx) -> dict[str, int]:
    """Anomalies raised so far, by kind (for ``/metrics``)."""
    return {str(k): int(n) for k, n in
            tx.query("SELECT kind, COUNT(*) FROM watch_raised GROUP BY kind")}


def recent_anomalies(tx: Tx, limit: int) -> list[dict[str, object]]:
    """The latest anomalies raised, newest first (for the console)."""
    rows = tx.query(_RECENT, (limit,))
    found = [dict(zip(_RAISED_COLUMNS, row, strict=True)) for row in rows]
    for item in found:
        item["sample"] = json.loads(str(item["sample"]))
    return found
