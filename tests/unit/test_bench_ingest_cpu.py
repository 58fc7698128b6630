"""The ingest benchmark's CPU-per-record reading counts this process and its children."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest

from simulations.bench.ingest_cpu import cpu_per_record

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")


async def test_a_child_process_and_this_one_are_counted_by_role() -> None:
    """A child burning ~0.3 s of CPU while this process burns ~0.2 s, over 1,000 records:
    each shows roughly its share in µs per record, and ``all`` is their sum."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import time\ninput()\nend = time.process_time() + 0.3\n"
        "while time.process_time() < end: pass\nprint('burnt', flush=True)\ninput()",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert child.stdin is not None and child.stdout is not None

    async def run() -> str:
        child.stdin.write(b"go\n")  # the child burns from here ...
        end = time.process_time() + 0.2
        while time.process_time() < end:
            pass
        await child.stdout.readline()  # ... until it says so
        return "done"

    try:
        result, per_record = await cpu_per_record(run, 1000)
    finally:
        child.stdin.close()
        await child.wait()
    assert result == "done"
    assert 150 <= per_record["bench process"] <= 1000  # 200 µs per record, and imports
    assert 250 <= per_record["other"] <= 1000  # 300 µs per record
    assert per_record["all"] == pytest.approx(sum(v for k, v in per_record.items()
                                                  if k != "all"))
