"""``interop-hub simulate ...``: drive the hub with emulated departments (loopback only)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Drive hubs with emulated departments (load runs).",
                  no_args_is_help=True)


@app.command("load")
def load(
    data: Annotated[Path | None, typer.Option(
        "--data", help="Data folder; each region's in DIR/<region> (default: $HUB_DATA)")] = None,
    regions: Annotated[int, typer.Option(
        "--regions", min=1, max=5, help="Regions (north, south, ...), leaf-linked hubs")] = 1,
    departments: Annotated[int, typer.Option(
        "--departments", min=2, max=12,
        help="Emulated departments per region (alternately SOAP and JSON systems)")] = 2,
    rate: Annotated[float, typer.Option(
        "--rate", min=0.1, max=5000, help="Requests per second, all kinds together")] = 20.0,
    duration: Annotated[float, typer.Option(
        "--duration", min=0.5, max=3600, help="Seconds of load (then a bounded drain)")] = 10.0,
) -> None:
    """Start N regions with M departments; send SOAP and JSON queries, record issuance and
    cross-region recognition at a fixed rate; print throughput, latency and errors per kind."""
    from hub.entrypoints.cli.common import load_settings, out, run_until_signalled
    from hub.entrypoints.cli.optional_parts import simulation
    from hub.logs import configure_logging

    load_plan = simulation("load", "LoadPlan", command="simulate load")
    run_load = simulation("load", "run_load", command="simulate load")
    settings = load_settings(data)
    configure_logging(settings.log_format, "error")
    plan = load_plan(regions=regions, departments=departments, rate=rate, duration_s=duration)
    raise typer.Exit(run_until_signalled(run_load(settings, plan, out)))
