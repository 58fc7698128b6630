"""``python -m simulations.bench [MODULE ...]``: run the benchmarks, print a table, write
``bench-results.json`` (fresh each run, at the repository root; git-ignored).

Each module has ``run() -> list[Figure]`` and measures its figures beside their
references in the same run. A module not yet written, or one that fails, is
reported (and a failure makes the exit status 1); the others still run. The
figures issue #7 asks for are :data:`REQUIRED`; one that no module produced
is named at the end.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path

from rich.console import Console
from rich.table import Table

from simulations.bench.figures import Figure, Work

# Each module has run() -> list[Figure]; a module not yet written is reported, not hidden.
MODULES = ("translation", "replay", "audit", "attestation", "ingest", "query", "query_pool",
           "workers",
           "idle", "wsdl", "backup", "documents", "cases", "transparency")
REQUIRED = ("p1_mediated_vs_direct", "p2_soap_ingest", "p2_json_ingest", "p5_latency_p99_ms",
            "translate_soap", "translate_json", "replay", "audit_verify", "attestation_verify",
            "idle_cpu_1m_events", "idle_cpu_fresh")
RESULTS = Path(__file__).resolve().parents[2] / "bench-results.json"


def main(argv: list[str]) -> int:
    only = set(argv)
    unknown = only - set(MODULES)
    console = Console(width=None if sys.stdout.isatty() else 132)
    if unknown:
        console.print(f"[red]unknown benchmark(s) {sorted(unknown)}; known: {MODULES}[/red]")
        return 2
    figures: list[Figure | Work] = []
    missing: list[str] = []
    failed: list[str] = []
    for name in MODULES:
        if only and name not in only:
            continue
        try:
            module = importlib.import_module(f"simulations.bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"simulations.bench.{name}":
                raise
            missing.append(name)
            continue
        started = time.perf_counter()
        console.print(f"[bold]{name}[/bold] …")
        try:
            figures.extend(module.run())
        except Exception:  # one broken benchmark must not hide the others' figures
            failed.append(name)
            console.print(f"[red]benchmark {name!r} failed:[/red]\n{traceback.format_exc()}")
            continue
        console.print(f"  done in {time.perf_counter() - started:.1f} s")
    console.print(_table(figures))
    for name in missing:
        console.print(f"[yellow]benchmark {name!r} not implemented yet[/yellow]")
    got = {f.key for f in figures}
    absent = [key for key in REQUIRED if key not in got]
    if absent and not only:
        console.print(f"[yellow]figures not measured in this run: {', '.join(absent)}[/yellow]")
    results: dict[str, object] = {f.key: f.as_json() for f in figures}
    results["_machine"] = _machine()
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    console.print(f"wrote {RESULTS}")
    return 1 if failed else 0


def _machine() -> dict[str, object]:
    """Where and when the figures were measured (they depend on both)."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {"python": platform.python_version(), "platform": platform.platform(),
            "cpus": os.cpu_count(), "load_average_1m_at_end": round(load[0], 2),
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def _table(figures: list[Figure | Work]) -> Table:
    table = Table(title="benchmarks")
    for column in ("figure", "value", "unit", "reference", "ratio", "goal"):
        table.add_column(column)
    for f in figures:
        if isinstance(f, Work):  # counts, printed by their benchmark; written to the JSON
            continue
        table.add_row(f.key, f"{f.value:,.1f}", f.unit,
                      "-" if f.reference is None else f"{f.reference:,.1f}",
                      "-" if f.ratio is None else f"{f.ratio:.2f}", f.goal)
    return table


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
