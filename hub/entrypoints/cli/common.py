"""What every ``interop-hub`` command shares: the ``--data`` option, the console, the
settings, the ledger, and running a coroutine until a signal.

The command modules import this, never ``main`` (which imports them to register them).
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import uvloop
from rich.console import Console

from hub.adapters.store.ledger import Ledger
from hub.bootstrap.privacy import build_ledger
from hub.settings import HubSettings, read_settings

DataOption = Annotated[
    Path | None,
    typer.Option("--data", help="The region's data folder (default: $HUB_DATA, else ./hub-data)"),
]
# Piped output (CI logs, files) gets a wide fixed width instead of rich's 80 columns.
out = Console(width=None if sys.stdout.isatty() else 132)


def load_settings(data: Path | None, **overrides: Any) -> HubSettings:
    """Settings from the environment, with ``--data`` and other flags taking precedence."""
    settings = read_settings()
    updates = {k: v for k, v in {"data": data, **overrides}.items() if v is not None}
    return settings.model_copy(update=updates)


def open_ledger(settings: HubSettings) -> Ledger:
    if settings.store is None and not (settings.data / "ledger.sqlite3").exists():
        raise typer.BadParameter(
            f"no ledger in {settings.data} (run `interop-hub demo` first?)", param_hint="--data"
        )
    return build_ledger(settings)


def run_until_signalled(coro: Any) -> int:
    """Run ``coro`` on a uvloop event loop; SIGINT/SIGTERM cancel it so every ``finally``
    (nats-server stop) runs.

    uvloop, not asyncio's selector loop: a hub process is CPU-bound on one core, and the
    loop's own work (sockets, callbacks, hand-backs from the writer thread) is a share of
    every query; measured with ``simulations.bench.query``, uvloop cut the hub's CPU per
    mediated query by about a seventh.
    """

    async def main() -> int:
        task = asyncio.ensure_future(coro)
        loop = asyncio.get_running_loop()

        def stop_once() -> None:
            # A second signal (a repeated Ctrl-C, or a group-wide SIGTERM reaching us
            # twice) must not cancel the orderly shutdown the first one started.
            if task.cancelling() == 0:
                task.cancel()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop_once)
        try:
            return int(await task)
        except asyncio.CancelledError:
            out.print("interrupted: stopped cleanly")
            return 130

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main())
