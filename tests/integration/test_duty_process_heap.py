"""A duty process keeps what it inherited from the fork server out of full collections.

A full collection in a duty process scanned the hub's modules it was forked with:
117-170 ms of a core at a time under load, which stalled the queries sharing the
machine (hub.bootstrap.long_lived). The child freezes that heap when it starts.
"""

from __future__ import annotations

import asyncio
import gc
import time
from pathlib import Path

from hub.bootstrap.duty_process import run_in_child
from tests.waiting import wait_until_async


async def report_heap(stop: asyncio.Event, out: str) -> None:
    """The duty: how many objects are frozen, and what a full collection costs."""
    started = time.perf_counter()
    gc.collect()
    took_ms = (time.perf_counter() - started) * 1000
    report = f"{gc.get_freeze_count()} {took_ms:.3f}"
    await asyncio.to_thread(Path(out).write_text, report)
    await stop.wait()


async def test_a_duty_process_starts_with_its_inherited_heap_frozen(tmp_path: Path) -> None:
    out = tmp_path / "heap"
    term = asyncio.Event()
    duty = asyncio.create_task(run_in_child("heap-probe", report_heap, (str(out),), term,
                                            log_format="json", log_level="warning"))
    try:
        await wait_until_async(out.exists, timeout_s=30, message="the duty reported its heap")
        frozen, took_ms = out.read_text().split()
        # what the fork server imported (here, under pytest: pytest and the hub modules
        # that registered; under interop-hub, the whole hub): none of it without the freeze
        assert int(frozen) > 10_000, frozen
        assert float(took_ms) < 50, f"a full collection took {took_ms} ms"
    finally:
        term.set()
        await asyncio.wait_for(duty, 30)
