"""The overdue duty: marks case steps past their due time, once each, and resumes cases.

Each round also asks the engine to resume open cases with steps due to be sent and not
sent (a process that stopped between recording a case's change and sending its next
steps): the first round runs as the hub starts.

Each round asks the engine to mark what the cases read model's due index says is due by
the engine's clock (popping the index costs what is due, never a scan), then sleeps until
the next round or until the hub stops. It runs as a supervised background task of the
hub, so ``/health`` reports it if it dies. Its cadence follows the case types' shortest
time limit (:func:`overdue_every`): a minute for limits in days, more often for a service
promised in minutes or seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable

from hub.service_layer.cases.case_type import CaseType
from hub.service_layer.cases.engine import CaseEngine

OVERDUE_EVERY_S = 60.0
"""How often the duty looks at most: for limits counted in days, a minute late is on time."""
OVERDUE_EVERY_MIN_S = 0.5
"""How often it looks at least, however short a limit: each round costs what is due."""


def overdue_every(case_types: Iterable[CaseType]) -> float:
    """Seconds between rounds: a quarter of the shortest limit any case or step declares
    (a step is marked overdue within a quarter of its limit), within the bounds above."""
    limits = [limit for kind in case_types
              for limit in (kind.time_limit, *(s.time_limit for s in kind.steps))]
    quarter = min((limit.nominal.total_seconds() / 4 for limit in limits),
                  default=OVERDUE_EVERY_S)
    return min(OVERDUE_EVERY_S, max(OVERDUE_EVERY_MIN_S, quarter))


async def watch_overdue(engine: CaseEngine, stop: asyncio.Event,
                        every_s: float = OVERDUE_EVERY_S) -> None:
    """Mark overdue steps every ``every_s`` seconds until ``stop`` is set."""
    while not stop.is_set():
        await engine.resume()
        await engine.mark_overdue()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_s)
