"""Replay benchmark: rebuild every projection from a long SQLite ledger, beside the raw rate.

Writes a ledger of realistic exchange lifecycles (default 200,000 events, see
:mod:`simulations.bench.exchange_history`), then measures in the same run, in
alternating rounds (the median of each is reported: the machine may be shared,
and alternating lets both see the same conditions):

- the raw reference: eventsourcing reading and decoding the notification log
  (``recorder.select_notifications`` + ``mapper.to_domain_event``), pages of
  the same size as the runner's;
- replay: dropping and rebuilding every projection from scratch
  (:meth:`hub.adapters.projections.ProjectionRunner.rebuild`), into a SQLite read store.

Goal: replay >= 0.5 of the reference. Peak resident memory is printed after
each phase; it stays flat in history length because the runner holds one page
at a time (``python -m simulations.bench.replay 1000000`` checks 1,000,000
events against the 300 MB bound).
"""

from __future__ import annotations

import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from hub.adapters.projections import ProjectionRunner, build_projections
from hub.adapters.projections.store import SQLiteReadStore
from hub.adapters.store.ledger import Ledger
from hub.bootstrap.privacy import build_ledger
from hub.settings import HubSettings
from simulations.bench.exchange_history import SERVICES, iter_decoded, write_history
from simulations.bench.figures import Figure, ratio_of

EVENTS = 200_000
ROUNDS = 5
PAGE = 1000
LIMITS = {service: 2.0 for _, service, _, _ in SERVICES}


def run(events: int = EVENTS, rounds: int = ROUNDS) -> list[Figure]:
    """Measure, print a table, and return the figures."""
    console = Console(width=None if sys.stdout.isatty() else 132)
    with tempfile.TemporaryDirectory(prefix="bench-replay-") as tmp:
        ledger = build_ledger(HubSettings(data=Path(tmp)))
        store = SQLiteReadStore(Path(tmp) / "projections.sqlite3")
        try:
            started = time.perf_counter()
            history = write_history(ledger, events)
            console.print(
                f"  wrote {history.events:,} events ({history.exchanges:,} exchanges: "
                f"{history.outcomes}) in {time.perf_counter() - started:.1f} s; "
                f"peak RSS {_peak_rss_mb():.0f} MB"
            )
            runner = ProjectionRunner(ledger, store, build_projections(LIMITS), batch=PAGE)
            reference, replay = _measure(ledger, runner, history.events, rounds, console)
        finally:
            store.close()
            ledger.close()
    rss = _peak_rss_mb()
    figures = [
        Figure("replay.raw_read_decode", round(reference), "events/s", None, None,
               "reference: eventsourcing read + decode of the notification log"),
        Figure("replay", round(replay), "events/s", round(reference),
               ratio_of(replay, reference), ">= 0.5 of reference"),
        Figure("replay.peak_rss", round(rss, 1), "MB", None, None,
               f"flat in history length (< 300 MB at 1,000,000 events); {events:,} here"),
    ]  # fmt: skip
    console.print(_table(figures))
    return figures


def _measure(
    ledger: Ledger, runner: ProjectionRunner, events: int, rounds: int, console: Console
) -> tuple[float, float]:
    """Median rate of each, measured in alternating rounds so both see the same machine."""
    references: list[float] = []
    replays: list[float] = []
    for round_number in range(1, rounds + 1):
        started, cpu = time.perf_counter(), time.process_time()
        read = sum(iter_decoded(ledger, PAGE))
        reference = read / (time.perf_counter() - started)
        reference_cpu = time.process_time() - cpu
        started, cpu = time.perf_counter(), time.process_time()
        replayed = runner.rebuild()
        replay = replayed / (time.perf_counter() - started)
        replay_cpu = time.process_time() - cpu
        if read != events or replayed != events:
            raise RuntimeError(f"read {read} and replayed {replayed} of {events} events")
        # The CPU-time ratio is printed too: it shows the cost even when the machine is busy.
        console.print(
            f"  round {round_number}: raw read+decode {reference:,.0f} events/s, "
            f"replay {replay:,.0f} events/s (ratio {replay / reference:.2f}, "
            f"by CPU time {reference_cpu / replay_cpu:.2f}); peak RSS {_peak_rss_mb():.0f} MB"
        )
        references.append(reference)
        replays.append(replay)
    return statistics.median(references), statistics.median(replays)


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _table(figures: list[Figure]) -> Table:
    table = Table(title="replay benchmark")
    for column in ("figure", "value", "unit", "reference", "ratio", "goal"):
        table.add_column(column)
    for f in figures:
        reference = "-" if f.reference is None else f"{f.reference:,}"
        ratio = "-" if f.ratio is None else f"{f.ratio:.2f}"
        table.add_row(f.key, f"{f.value:,}", f.unit, reference, ratio, f.goal)
    return table


if __name__ == "__main__":
    run(
        int(sys.argv[1]) if len(sys.argv) > 1 else EVENTS,
        int(sys.argv[2]) if len(sys.argv) > 2 else ROUNDS,
    )
