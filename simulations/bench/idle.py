"""Idle CPU of a hub: with a ledger of 1,000,000 events against a fresh one, in the same run.

A hub's background work (relay, follower of the read models and projections,
NATS user sync, audit checkpoints, health) must not grow with the ledger's
history: an idle hub over a million events should cost what a fresh one does.
Each hub runs in its own process (``run_hub``, embedded nats-server included);
its CPU is read from ``/proc/<pid>/stat`` (user + system time of the hub's process and
of its projections' process, not of its nats-server) over an idle window, once it has settled (its
first catch-up over the history is allowed to read it once).

The million events are real exchanges saved through the event store (Received,
Translated, Routed, Delivered, Responded, Completed), many aggregates per
transaction; the relay's tracked position is put at the end, as after a long
run. The ledger is kept in the temporary folder and reused by later runs::

    python -m simulations.bench.idle [--idle-s 60] [--events 1000000]
    python -m simulations.bench.idle serve --data DIR --ready FILE   (the hub process)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

from eventsourcing.persistence import Tracking

from hub.adapters.store.ledger import Arrival, Ledger
from hub.bootstrap.privacy import build_ledger
from hub.entrypoints.serve import run_hub
from hub.service_layer.exchanges.relay import RELAY_NAME
from hub.settings import HubSettings
from simulations.bench.figures import Figure
from simulations.bench.processes import cpu_seconds, hub_processes, server_process

IDLE_S = 60.0
EVENTS = 1_000_000
PER_EXCHANGE = 6  # Received, Translated, Routed, Delivered, Responded, Completed
PER_SAVE = 2000  # exchanges per transaction (12,000 events)
SETTLE_WINDOW_S = 2.0
SETTLED_PERCENT = 10.0  # below this over two windows in a row, the start-up work is over
SETTLE_WITHIN_S = 1800.0
ROOT = Path(tempfile.gettempdir()) / "interop-hub-bench-idle"
SERVICE = "north/social-security/contribution-history"
CONTRACT = "social-security.contribution-history-query@1.0"


def build_history(data: Path, events: int) -> float:
    """Save ``events`` real exchange events into the ledger under ``data``; returns seconds."""
    started = time.perf_counter()
    ledger = build_ledger(HubSettings(data=data, region="north"))
    try:
        exchanges = -(-events // PER_EXCHANGE)
        for first in range(0, exchanges, PER_SAVE):
            ledger.save(*(_exchange(ledger, n) for n in range(first, min(first + PER_SAVE,
                                                                           exchanges))))
        head = ledger.recorder.max_notification_id() or 0
        ledger.factory.tracking_recorder().insert_tracking(Tracking(RELAY_NAME, head))
    finally:
        ledger.close()
    return time.perf_counter() - started


def _exchange(ledger: Ledger, n: int) -> object:
    exchange = ledger.receive(Arrival("north/tax", SERVICE, f"idle-{n}", "json",
                                      "sha256:00", 64))
    exchange.translate(CONTRACT, {"national_id": "x", "n": n}, "sha256:11", "")
    exchange.route("north/social-security", "hub.north.deliver.social-security")
    exchange.deliver(1)
    exchange.respond("social-security.contribution-history@1.0", {"periods": []},
                     "sha256:22", 3.0, "")
    exchange.complete("sha256:33", 5.0)
    return exchange


def history(events: int) -> tuple[Path, float | None]:
    """The data folder of a hub with ``events`` in its ledger: reused, or built (and timed)."""
    data = ROOT / f"ledger-{events}"
    marker = data / "built.json"
    if marker.exists():
        return data, None
    if data.exists():  # a build that was interrupted: start again
        for path in sorted(data.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
    seconds = build_history(data, events)
    marker.write_text(json.dumps({"events": events, "seconds": seconds}))
    return data, seconds


async def _percent(pid: int, seconds: float) -> float:
    pids = hub_processes(pid)  # its projections' process too, not its nats-server
    before, started = cpu_seconds(pids), time.monotonic()
    await asyncio.sleep(seconds)
    return 100 * (cpu_seconds(pids) - before) / (time.monotonic() - started)


async def idle_percent(data: Path, idle_s: float) -> tuple[float, float]:
    """(idle CPU in percent of a core, seconds it took to settle) of a hub over ``data``."""
    ready = data.parent / f"{data.name}.ready"
    ready.unlink(missing_ok=True)
    async with server_process("simulations.bench.idle", "serve", "--data", str(data),
                              ready=ready, log=data.parent / f"{data.name}.log",
                              ready_within_s=SETTLE_WITHIN_S) as urls:
        pid, started = int(urls["pid"]), time.monotonic()
        calm = 0
        while calm < 2 and time.monotonic() - started < SETTLE_WITHIN_S:
            calm = calm + 1 if await _percent(pid, SETTLE_WINDOW_S) < SETTLED_PERCENT else 0
        settled = time.monotonic() - started
        return await _percent(pid, idle_s), settled


async def measure(idle_s: float = IDLE_S, events: int = EVENTS) -> list[Figure]:
    """Both figures, fresh hub first, in one run."""
    ROOT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ROOT) as scratch:
        fresh, _ = await idle_percent(Path(scratch) / "fresh", idle_s)
    data, built_s = await asyncio.to_thread(history, events)
    loaded, settled = await idle_percent(data, idle_s)
    built = "reused" if built_s is None else f"built in {built_s:.0f} s"
    return [
        Figure("idle_cpu_fresh", round(fresh, 2), "% of a core", None, None,
               f"hub idle {idle_s:.0f} s, empty ledger"),
        Figure("idle_cpu_1m_events", round(loaded, 2), "% of a core", round(fresh, 2), None,
               f"<= idle_cpu_fresh + 2 ({events:,} events, {built}; "
               f"settled after {settled:.0f} s)"),
    ]


def run(idle_s: float = IDLE_S, events: int = EVENTS) -> list[Figure]:
    """The benchmark's figures (``python -m simulations.bench idle``)."""
    return asyncio.run(measure(idle_s, events))


async def serve(data: Path, ready: Path) -> None:
    """A hub with no services over ``data``, until signalled; announces its pid in ``ready``."""
    async with run_hub(HubSettings(data=data, region="north"), ()) as hub:
        partial = ready.with_suffix(".partial")
        partial.write_text(json.dumps({"pid": str(os.getpid()), "hub": hub.http_url}))
        partial.replace(ready)
        await asyncio.Event().wait()


def main() -> None:
    """Measure (default) or be the hub process (``serve``)."""
    from hub.entrypoints.cli.common import run_until_signalled
    from hub.logs import configure_logging

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("role", nargs="?", choices=("measure", "serve"), default="measure")
    parser.add_argument("--idle-s", type=float, default=IDLE_S)
    parser.add_argument("--events", type=int, default=EVENTS)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--ready", type=Path)
    args = parser.parse_args()
    configure_logging("json", "warning")
    if args.role == "serve":
        raise SystemExit(run_until_signalled(serve(args.data, args.ready)))
    for figure in run(args.idle_s, args.events):
        print(f"{figure.key}: {figure.value} {figure.unit} ({figure.goal})")


if __name__ == "__main__":
    main()
