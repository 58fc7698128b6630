"""Benchmark: ``audit verify`` throughput and memory, beside a raw read of the same rows.

The store is generated: a few hundred real exchanges are recorded through the
ledger (so rows have the real schema and realistic stored states), then copied
under fresh aggregate ids with plain SQL until it holds ``BENCH_AUDIT_EVENTS``
events (default 200,000). One checkpoint covers them all.

- reference: read every stored row page by page (the same query shape the
  audit reader uses) and SHA-256 each state — no tree, no encoding;
- value: ``Auditor.verify()`` — read, canonical leaf encoding, leaf hash, tree,
  signature and root checks;
- memory: peak RSS of a fresh process that only verifies, at a quarter of the
  events and at all of them; flat means the two are about equal.

Rates are events per second of process CPU time, best of five runs taken in
alternation: on a shared machine wall-clock rates swing with other load, and
both sides of the ratio are single-threaded and CPU-bound (the file is cached).

Run alone with ``python -m simulations.bench.audit`` (prints a table), or with
every other benchmark via ``python -m simulations.bench``.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from simulations.bench.figures import Figure, ratio_of

EVENTS = int(os.environ.get("BENCH_AUDIT_EVENTS", "200000"))
TEMPLATE_EXCHANGES = 200
PAGE = 5000

# ru_maxrss (resource.getrusage) of a child carries over the parent's high-water mark
# across fork and exec on Linux, so the probe reads its own VmHWM where there is one.
_RSS_PROBE = """
import resource, sys
from pathlib import Path
from hub.service_layer.audit import Auditor
report = Auditor(Path(sys.argv[1]), None, "bench").verify()
assert report.ok, report.problems
try:
    status = open("/proc/self/status").read()
    peak_kb = int(status.split("VmHWM:")[1].split()[0])
except (OSError, IndexError):
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(report.events, peak_kb)
"""


def run() -> list[Figure]:
    """Generate a store, verify it, and return the figures (also printed)."""
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp:
        data = Path(tmp)
        quarter = EVENTS // 4
        _generate(data, quarter)
        auditor = _auditor(data)
        auditor.checkpoint()
        rss_quarter = _verify_rss(data, quarter)
        _generate(data, EVENTS)
        started = time.perf_counter()
        auditor.checkpoint()
        checkpoint_s = time.perf_counter() - started
        raw_rate, verify_rate = _interleaved(
            lambda: _raw_read_and_hash(data), lambda: _verify(auditor)
        )
        rss_full = _verify_rss(data, EVENTS)
    figures = [
        Figure(
            "audit_verify",
            verify_rate,
            "events/s",
            raw_rate,
            ratio_of(verify_rate, raw_rate),
            ">= 0.5 of raw read + SHA-256 of the same rows",
        ),
        Figure(
            "audit.checkpoint_incremental",
            (EVENTS - quarter) / checkpoint_s,
            "events/s",
            raw_rate,
            ratio_of((EVENTS - quarter) / checkpoint_s, raw_rate),
            "covers new rows once (index + frontier)",
        ),
        Figure(
            f"audit.verify_rss_{EVENTS // 1000}k",
            rss_full,
            "MB",
            rss_quarter,
            round(rss_full / rss_quarter, 3),
            f"flat: ~1.0 x RSS at {quarter // 1000}k; < 300 MB at 1M",
        ),
    ]
    _print(figures)
    return figures


def _auditor(data: Path):  # type: ignore[no-untyped-def]
    from hub.service_layer.audit import Auditor

    return Auditor(data, None, "bench")


def _generate(data: Path, events: int) -> None:
    """Grow the store to ``events`` rows: real exchanges first, then SQL copies of them."""
    from hub.adapters.store.ledger import Arrival, Translation
    from hub.bootstrap.privacy import build_ledger
    from hub.settings import HubSettings

    database = data / "ledger.sqlite3"
    if not database.exists():
        ledger = build_ledger(HubSettings(data=data))
        arrival = Arrival(
            "north/tax", "north/social-security/history", "c", "json", "sha256:0", 1, "r"
        )
        document = {"national_id": "19800101-1234", "period_start": "2000-01-01"}
        translation = Translation("c@1.0", document, "sha256:1", "north/social-security", "s")
        for _ in range(TEMPLATE_EXCHANGES):
            ledger.record_accepted(arrival, translation)
        ledger.close()
    with sqlite3.connect(database) as conn:
        templates = conn.execute(
            "SELECT originator_version, topic, state FROM stored_events "
            "WHERE originator_version <= 3 ORDER BY rowid LIMIT 3"
        ).fetchall()
        have = conn.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]
        rows = []
        while have + len(rows) < events:
            ident = uuid.uuid4().hex
            rows.extend((ident, v, t, s) for v, t, s in templates)
        conn.executemany("INSERT INTO stored_events VALUES (?, ?, ?, ?)", rows[: events - have])
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # a settled store, as after a day's work
    conn.close()


def _raw_read_and_hash(data: Path) -> float:
    """Events/s of reading every row page by page and hashing its state: the reference."""
    conn = sqlite3.connect(f"{(data / 'ledger.sqlite3').as_uri()}?mode=ro", uri=True)
    started, after, count = time.process_time(), 0, 0
    sha256 = hashlib.sha256
    while True:
        page = conn.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
            "WHERE rowid > ? ORDER BY rowid LIMIT ?",
            (after, PAGE),
        ).fetchall()
        if not page:
            break
        for row in page:
            sha256(row[4]).digest()
        count += len(page)
        after = page[-1][0]
    conn.close()
    return count / (time.process_time() - started)


def _verify(auditor) -> float:  # type: ignore[no-untyped-def]
    started = time.process_time()
    report = auditor.verify()
    elapsed = time.process_time() - started
    if not report.ok:
        raise RuntimeError(f"benchmark store failed verification: {report.problems}")
    return report.events / elapsed


def _interleaved(reference, measured, repeat: int = 5) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    # Alternate the two and keep each one's best run, so that load from other
    # processes (this machine is shared) hits both alike rather than one of them.
    best_reference = best_measured = 0.0
    for _ in range(repeat):
        best_reference = max(best_reference, reference())
        best_measured = max(best_measured, measured())
    return best_reference, best_measured


def _verify_rss(data: Path, events: int) -> float:
    """Peak RSS (MB) of a fresh process that verifies the store."""
    done = subprocess.run(
        [sys.executable, "-c", _RSS_PROBE, str(data)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
        cwd=Path(__file__).resolve().parents[2],
    )
    counted, rss_kb = (int(x) for x in done.stdout.split())
    if counted != events:
        raise RuntimeError(f"verified {counted} events, expected {events}")
    return rss_kb / 1024


def _print(figures: list[Figure]) -> None:
    print(f"audit benchmark over {EVENTS:,} generated events (SQLite)")
    print(f"{'figure':34} {'value':>14} {'unit':9} {'reference':>14} {'ratio':>6}  goal")
    for f in figures:
        reference = "-" if f.reference is None else f"{f.reference:,.1f}"
        ratio = "-" if f.ratio is None else f"{f.ratio:.2f}"
        print(f"{f.key:34} {f.value:>14,.1f} {f.unit:9} {reference:>14} {ratio:>6}  {f.goal}")


if __name__ == "__main__":
    run()
