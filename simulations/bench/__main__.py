"""``python -m simulations.bench``: run every benchmark, print a table, write bench-results.json."""

from __future__ import annotations

import importlib
import json
import platform
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from simulations.bench.figures import Figure

# Each module has run() -> list[Figure]; a module not yet written is reported, not hidden.
MODULES = ("translation", "replay", "audit", "attestation", "ingest", "latency")


def main(argv: list[str]) -> int:
    only = set(argv)
    console = Console(width=None if sys.stdout.isatty() else 132)
    figures: list[Figure] = []
    missing: list[str] = []
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
        figures.extend(module.run())
        console.print(f"  done in {time.perf_counter() - started:.1f} s")
    console.print(_table(figures))
    for name in missing:
        console.print(f"[yellow]benchmark {name!r} not implemented yet[/yellow]")
    results = {f.key: f.as_json() for f in figures}
    results["_machine"] = {"python": platform.python_version(), "platform": platform.platform(),
                           "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    out = Path("bench-results.json")
    out.write_text(json.dumps(results, indent=2) + "\n")
    console.print(f"wrote {out.resolve()}")
    return 0


def _table(figures: list[Figure]) -> Table:
    table = Table(title="benchmarks")
    for column in ("figure", "value", "unit", "reference", "ratio", "goal"):
        table.add_column(column)
    for f in figures:
        table.add_row(f.key, f"{f.value:,.1f}", f.unit,
                      "-" if f.reference is None else f"{f.reference:,.1f}",
                      "-" if f.ratio is None else f"{f.ratio:.2f}", f.goal)
    return table


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
