"""Benchmark: ``backup`` and ``restore`` throughput, beside a raw copy of the same store.

The store is generated as the audit benchmark makes it (real exchanges, then SQL
copies under fresh ids) up to ``BENCH_BACKUP_EVENTS`` events (default 200,000),
with one checkpoint over them all.

- reference: a raw copy of the settled ``ledger.sqlite3`` file (``shutil.copyfile``);
- backup: :func:`take_backup` — SQLite's online copy, sealing in chunks, and the
  read-back that verifies every member on write;
- restore: :func:`restore_backup` into an empty folder — opening and checking every
  chunk, writing the files, and the ``audit verify`` that proves the restored ledger.

Rates are events per second of wall-clock time (both sides do I/O), best of three
runs taken in alternation so that other load on the shared machine hits both alike.

Run alone with ``python -m simulations.bench backup``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from pathlib import Path

from simulations.bench.audit import _generate
from simulations.bench.figures import Figure, ratio_of

EVENTS = int(os.environ.get("BENCH_BACKUP_EVENTS", "200000"))
REGION = "bench"
REPEAT = 3


def run() -> list[Figure]:
    """Generate a store, copy it raw, back it up and restore it; the figures."""
    from hub.adapters.crypto.kek import read_kek_file
    from hub.service_layer.audit import Auditor, claim_region

    with tempfile.TemporaryDirectory(prefix="bench-backup-") as tmp:
        root = Path(tmp)
        data = root / "data"
        data.mkdir()
        claim_region(data, REGION)
        _generate(data, EVENTS)
        Auditor(data, None, REGION).checkpoint()
        kek = read_kek_file(data / "keys" / "kek")
        key = os.urandom(32)
        raw = backup = restore = 0.0
        for attempt in range(REPEAT):
            raw = max(raw, _raw_copy(data, root / f"raw-{attempt}"))
            backup = max(backup, _backup(data, root / f"backup-{attempt}", key, kek))
            restore = max(restore, _restore(root / f"backup-{attempt}",
                                            root / f"restored-{attempt}", key, kek))
            for used in (f"raw-{attempt}", f"restored-{attempt}"):
                shutil.rmtree(root / used, ignore_errors=True)
            if attempt:
                shutil.rmtree(root / f"backup-{attempt}", ignore_errors=True)
    figures = [
        Figure("backup_events_per_s", backup, "events/s", raw, ratio_of(backup, raw),
               "online copy + seal + verify on write, vs a raw copy of the store"),
        Figure("restore_events_per_s", restore, "events/s", raw, ratio_of(restore, raw),
               "open + check + write + audit verify, vs a raw copy of the store"),
        Figure("backup_vs_raw_copy", ratio_of(backup, raw) or 0.0, "x", None, None,
               f"{EVENTS:,} events; raw copy {raw:,.0f} events/s"),
        Figure("restore_vs_raw_copy", ratio_of(restore, raw) or 0.0, "x", None, None,
               f"{EVENTS:,} events; raw copy {raw:,.0f} events/s"),
    ]
    for f in figures:
        print(f"  {f.key:24s} {f.value:14,.2f} {f.unit:9s} reference {f.reference or 0:,.0f}")
    return figures


def _raw_copy(data: Path, target: Path) -> float:
    target.mkdir()
    started = time.perf_counter()
    shutil.copyfile(data / "ledger.sqlite3", target / "ledger.sqlite3")
    with open(target / "ledger.sqlite3", "rb+") as handle:
        os.fsync(handle.fileno())  # the backup's files are made durable too
    return EVENTS / (time.perf_counter() - started)


def _backup(data: Path, target: Path, key: bytes, kek: bytes) -> float:
    from hub.service_layer.backup import take_backup

    report = asyncio.run(take_backup(data, None, REGION, target, key, kek=kek, nats=None))
    if report.manifest.events != EVENTS:
        raise RuntimeError(f"backed up {report.manifest.events} events, expected {EVENTS}")
    return EVENTS / report.seconds


def _restore(source: Path, target: Path, key: bytes, kek: bytes) -> float:
    from hub.service_layer.backup import restore_backup

    started = time.perf_counter()
    report = asyncio.run(restore_backup(source, key, target, None, kek=kek))
    elapsed = time.perf_counter() - started
    if report.audit is None or not report.audit.ok or report.events != EVENTS:
        raise RuntimeError(f"restored store does not verify: {report.audit}")
    return EVENTS / elapsed


if __name__ == "__main__":
    run()
