"""The overdue duty: marks case steps past their due time, once each, and resumes cases.

Each round also asks the engine to resume open cases with steps due to be sent and not
sent (a process that stopped between recording a case's change and sending its next
steps): the first round runs as the hub starts.

Each round asks the engine to mark what the cases read model's due index says is due by
the engine's clock (popping the index costs what is due, never a scan), then sleeps until
the next round or until the hub stops. It runs as a supervised background task of the
hub, so ``/health`` reports it if it dies.
"""

from __future__ import annotations

import asyncio
import contextlib

from hub.service_layer.cases.engine import CaseEngine

OVERDUE_EVERY_S = 60.0
"""How often the duty looks: time limits are counted in days, a minute late is on time."""


async def watch_overdue(engine: CaseEngine, stop: asyncio.Event,
                        every_s: float = OVERDUE_EVERY_S) -> None:
    """Mark overdue steps every ``every_s`` seconds until ``stop`` is set."""
    while not stop.is_set():
        await engine.resume()
        await engine.mark_overdue()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_s)
