"""Transparency figures rebuilt by replay of a long cases ledger, beside the raw rate.

Writes a ledger of one-stop cases' lifecycles (default 6,000 cases, about 70,000 events,
see :mod:`simulations.bench.case_history`), then measures in the same run, in
alternating rounds (the median of each is reported):

- the raw reference, measured as the replay benchmark measures it
  (:func:`simulations.bench.exchange_history.iter_decoded`): eventsourcing reading the
  notification log in pages of 1,000 and decoding each event with the ledger's mapper;
- a stricter reference: the same read, decoded with the library's mapper as every read
  model decodes (personal fields left sealed: no key looked up, nothing opened);
- replay: a new cases read model (:class:`hub.adapters.readmodels.cases.CaseBoard`, the
  one a hub serves ``/transparency`` from) caught up from the start of the ledger, its
  rows and the figures' counts built, and the figures read once.

Goal: replay >= 0.5 of the reference (``transparency_replay``); its ratio to the stricter
reference is reported beside it (``transparency_replay.vs_sealed_decode``). Then, on the replayed
model, what one request's figures cost (``transparency_request_ms``: read from the kept
counts, per case type and service) beside counting every case afresh as requests did
before the counts were kept (``transparency_request_afresh_ms``); and what the cases'
gauges of one ``/metrics`` scrape cost, read from the same kept counts
(``metrics_cases_scrape_ms``).

``python -m simulations.bench.transparency [CASES] [ROUNDS]`` runs it alone.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Mapper
from rich.console import Console

from hub.adapters.projections.prometheus import render_cases
from hub.adapters.readmodels.cases import CaseBoard
from hub.adapters.store.ledger import Ledger
from hub.bootstrap.privacy import build_ledger
from hub.service_layer.cases.figures import THRESHOLD, overdue_counts, published_rows, tally
from hub.settings import HubSettings
from simulations.bench.case_history import CASE_TYPES, SERVICES, CaseHistory, write_cases
from simulations.bench.exchange_history import iter_decoded
from simulations.bench.figures import Figure, ratio_of

CASES = 6000
ROUNDS = 3
PAGE = 1000
REQUESTS = 50

console = Console(width=None if sys.stdout.isatty() else 132)


def run(cases: int = CASES, rounds: int = ROUNDS) -> list[Figure]:
    """Measure, print, and return the figures."""
    with tempfile.TemporaryDirectory(prefix="bench-transparency-") as tmp:
        ledger = build_ledger(HubSettings(data=Path(tmp)))
        try:
            started = time.perf_counter()
            history = write_cases(ledger, cases)
            console.print(f"  wrote {history.events:,} events of {history.cases:,} cases "
                          f"({history.outcomes}) in {time.perf_counter() - started:.1f} s")
            (reference, sealed, replay), board = _rounds(ledger, history, rounds)
            kept_ms, afresh_ms = _requests(board, history)
            scrape_ms = _scrapes(board, history)
        finally:
            ledger.close()
    console.print(f"  one request's figures: {kept_ms:.3f} ms from the kept counts, "
                  f"{afresh_ms:.1f} ms counting {cases:,} cases afresh; the cases' "
                  f"/metrics gauges {scrape_ms:.3f} ms")
    return [
        Figure("transparency_replay.raw_read_decode", round(reference), "events/s", None,
               None, "reference: eventsourcing read + decode of the same case events"),
        Figure("transparency_replay", round(replay), "events/s", round(reference),
               ratio_of(replay, reference),
               f">= 0.5 of reference ({cases:,} cases, {history.events:,} events)"),
        Figure("transparency_replay.vs_sealed_decode", round(replay), "events/s",
               round(sealed), ratio_of(replay, sealed),
               "informational: against read + decode leaving personal fields sealed"),
        Figure("transparency_request_ms", round(kept_ms, 3), "ms", None, None,
               f"informational: /transparency figures from the kept counts, {cases:,} cases"),
        Figure("transparency_request_afresh_ms", round(afresh_ms, 2), "ms", None, None,
               "informational: the same figures counted afresh over every case"),
        Figure("metrics_cases_scrape_ms", round(scrape_ms, 3), "ms", None, None,
               f"informational: /metrics' open and overdue case gauges, {cases:,} cases"),
    ]


def _rounds(ledger: Ledger, history: CaseHistory, rounds: int
            ) -> tuple[tuple[float, float, float], CaseBoard]:
    """Median rate of each (reference, stricter reference, replay), measured in alternating
    rounds so that all see the same machine; and the last replayed read model."""
    rates: list[tuple[float, float, float]] = []
    board = CaseBoard(ledger, batch=PAGE)
    for number in range(1, rounds + 1):
        read, reference = _timed(lambda: sum(iter_decoded(ledger, PAGE)))
        sealed_read, sealed = _timed(lambda: _read_decode_sealed(ledger))
        board = CaseBoard(ledger, batch=PAGE)
        replayed, replay = _timed(partial(_replay, board, history))
        if {read, sealed_read, replayed} != {history.events}:
            raise RuntimeError(f"read {read}, {sealed_read} and replayed {replayed} of "
                               f"{history.events} events")
        console.print(f"  round {number}: raw read+decode {reference:,.0f} events/s, "
                      f"sealed {sealed:,.0f} events/s, replay {replay:,.0f} events/s "
                      f"(ratio {replay / reference:.2f}; to sealed {replay / sealed:.2f})")
        rates.append((reference, sealed, replay))
    medians = tuple(statistics.median(r[i] for r in rates) for i in range(3))
    return (medians[0], medians[1], medians[2]), board


def _timed(count: Callable[[], int]) -> tuple[int, float]:
    started = time.perf_counter()
    done = count()
    return done, done / (time.perf_counter() - started)


def _read_decode_sealed(ledger: Ledger) -> int:
    """Every notification read and decoded as a read model decodes it (sealed fields
    stay sealed)."""
    library = ledger.mapper
    mapper: Mapper[Any] = Mapper(library.transcoder, library.compressor, library.cipher)
    start, read = 1, 0
    while page := ledger.recorder.select_notifications(start=start, limit=PAGE):
        for notification in page:
            mapper.to_domain_event(notification)
        read += len(page)
        start = page[-1].id + 1
    return read


def _replay(board: CaseBoard, history: CaseHistory) -> int:
    replayed = board.catch_up()
    figures = board.figures(CASE_TYPES, SERVICES, history.now, THRESHOLD)
    if not published_rows(figures):
        raise RuntimeError("the replayed figures are empty")
    return replayed


def _requests(board: CaseBoard, history: CaseHistory) -> tuple[float, float]:
    """Milliseconds per request: figures from the kept counts, and counted afresh."""
    kept = afresh = 0.0
    for _ in range(REQUESTS):
        started = time.perf_counter()
        figures = board.figures(CASE_TYPES, SERVICES, history.now, THRESHOLD)
        kept += time.perf_counter() - started
        started = time.perf_counter()
        counted = tally(board.cases(), CASE_TYPES, SERVICES, history.now, THRESHOLD)
        afresh += time.perf_counter() - started
        if counted != figures:
            raise RuntimeError("the kept counts differ from the counts taken afresh")
    return kept * 1000 / REQUESTS, afresh * 1000 / REQUESTS


def _scrapes(board: CaseBoard, history: CaseHistory) -> float:
    """Milliseconds per ``/metrics`` scrape of the cases' gauges, from the kept counts."""
    started = time.perf_counter()
    for _ in range(REQUESTS):
        render_cases(*overdue_counts(board.open_counts(history.now), CASE_TYPES, SERVICES))
    return (time.perf_counter() - started) * 1000 / REQUESTS


if __name__ == "__main__":
    for figure in run(int(sys.argv[1]) if len(sys.argv) > 1 else CASES,
                      int(sys.argv[2]) if len(sys.argv) > 2 else ROUNDS):
        console.print(figure)
