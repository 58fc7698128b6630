"""How much the ledger may grow from refused citizen requests: a budget per window.

Every refusal is recorded, but a refused request needs no credential, so one event per
refusal would let anyone grow the ledger at will. Within a window of ``window_s`` seconds
(aligned to the clock: a new window starts at each multiple), the first ``per_client``
refusals from one client address, and the first ``total`` from all addresses together,
are recorded one event each. Beyond either budget a refusal is only counted and answered
"too many" (429, retry when the window ends); once the window has ended, the counts are
recorded as one event per address (how many, which codes): the ledger grows by at most
``total`` plus one event per address and window.

The budget is per hub process (each counts its own requests). Memory is bounded too: at
most ``max_clients`` addresses are told apart per window, the rest share one entry,
:data:`OTHER_CLIENTS`.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

OTHER_CLIENTS = "(other addresses)"
"""The entry shared by addresses beyond the ``max_clients`` told apart in one window."""


@dataclass
class SuppressedRefusals:
    """Refusals from one address in one window that were counted, not recorded one by one."""

    client: str
    window_start: float  # seconds since the epoch
    window_end: float
    count: int = 0
    codes: dict[str, int] = field(default_factory=dict)


class RefusalBudget:
    """Decides, per refusal, whether it is recorded alone or only counted into a summary."""

    def __init__(self, *, per_client: int, total: int, window_s: float,
                 max_clients: int = 10_000, clock: Callable[[], float] = time.time) -> None:
        self.per_client = per_client
        self.total = total
        self.window_s = window_s
        self._max_clients = max_clients
        self._clock = clock
        self._window = -math.inf
        self._recorded: dict[str, int] = {}  # this window: address -> refusals recorded alone
        self._recorded_total = 0
        self._pending: dict[tuple[float, str], SuppressedRefusals] = {}
        self._lock = threading.Lock()  # refusals are recorded from several threads

    def admit(self, client: str, code: str) -> float | None:
        """None when this refusal is to be recorded on its own; otherwise it is counted
        into its address's summary and the answer is the seconds until the window ends."""
        now = self._clock()
        start = now - now % self.window_s
        with self._lock:
            if start != self._window:
                self._window, self._recorded_total = start, 0
                self._recorded.clear()
            key = self._key(client)
            used = self._recorded[key]
            if used < self.per_client and self._recorded_total < self.total:
                self._recorded[key] = used + 1
                self._recorded_total += 1
                return None
            summary = self._pending.setdefault((start, key), SuppressedRefusals(
                key, start, start + self.window_s))
            summary.count += 1
            summary.codes[code] = summary.codes.get(code, 0) + 1
        return max(start + self.window_s - now, 0.0)

    def ended(self) -> list[SuppressedRefusals]:
        """The summaries of windows that have ended, each handed out once."""
        now = self._clock()
        with self._lock:
            if not self._pending:
                return []
            done = [k for k, s in self._pending.items() if s.window_end <= now]
            return [self._pending.pop(k) for k in done]

    def drain(self) -> list[SuppressedRefusals]:
        """Every summary, ended or not (at shutdown), each handed out once."""
        with self._lock:
            summaries = list(self._pending.values())
            self._pending.clear()
        return summaries

    def _key(self, client: str) -> str:
        if client not in self._recorded:
            if len(self._recorded) >= self._max_clients:
                client = OTHER_CLIENTS
            self._recorded.setdefault(client, 0)
        return client
