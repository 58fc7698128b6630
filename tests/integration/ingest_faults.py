"""Step hooks for the ingest fault tests: picklable, so worker processes can run them."""

from __future__ import annotations

import os
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def kill_once_at(step: str, marker: str, at: str, outcomes: Sequence[Any]) -> None:
    """SIGKILL this process the first time it reaches step ``step`` (``marker`` records it)."""
    if at != step or Path(marker).exists():
        return
    Path(marker).write_text(str(len(outcomes)), encoding="utf-8")
    os.kill(os.getpid(), signal.SIGKILL)


class FailOnce:
    """Raise at ``step`` of the first batch only (the in-process worker leaves it unacked)."""

    def __init__(self, step: str) -> None:
        self.step = step
        self.failed_batches = 0

    def __call__(self, at: str, outcomes: Sequence[Any]) -> None:
        if at == self.step and self.failed_batches == 0:
            self.failed_batches += 1
            raise RuntimeError(f"injected failure after {at} ({len(outcomes)} submissions)")
