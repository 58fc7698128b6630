"""TEST HOOK: crash the hub process at a chosen point of an exchange's path (fault tests).

With ``HUB_CRASH_AT=<point>`` the hub ``SIGKILL``s itself when an exchange reaches
that point for the ``HUB_CRASH_ON_REACH``-th time (default 1) — no ``finally``, no
drain, exactly like ``kill -9``. It fires once per data folder: a marker file
``DIR/crash-<point>.fired`` is written (and fsynced) first, so the restarted hub,
even with the same environment, carries on. Points, in path order:

- ``after-recording``: the exchange is in the ledger, not yet published (relay);
- ``after-publishing``: published to JetStream, the relay's position not yet saved;
- ``after-provider``: the provider answered, the answer not yet recorded (worker);
- ``before-ack``: the answer is recorded and sent, the message not yet acknowledged.

Unset (the default and every production setting), :meth:`CrashHook.reach` does nothing.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import structlog

log = structlog.get_logger("hub.service_layer.exchanges.faults")

CRASH_POINTS = ("after-recording", "after-publishing", "after-provider", "before-ack")


class CrashHook:
    """Kills this process with SIGKILL when the configured point is first reached."""

    def __init__(
        self, point: str | None = None, marker_dir: Path | None = None, on_reach: int = 1
    ) -> None:
        if point is not None and point not in CRASH_POINTS:
            raise ValueError(f"unknown crash point {point!r}; known: {', '.join(CRASH_POINTS)}")
        self.point = point
        self._remaining = on_reach
        self._marker = (marker_dir / f"crash-{point}.fired") if point and marker_dir else None

    def reach(self, point: str) -> None:
        """Crash here if ``point`` is the configured one and it has not fired yet."""
        if point != self.point:
            return
        self._remaining -= 1
        if self._remaining > 0:
            return
        if self._marker is not None:
            if self._marker.exists():
                return
            with self._marker.open("w") as marker:
                marker.write(f"{os.getpid()}\n")
                marker.flush()
                os.fsync(marker.fileno())
        log.warning("crash hook fired: SIGKILL", point=point, pid=os.getpid())
        os.kill(os.getpid(), signal.SIGKILL)


NO_CRASH = CrashHook()
