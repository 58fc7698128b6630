"""What a process built at start-up, kept out of the garbage collector's full passes.

A process of the hub imports the hub's modules and builds its mappings, schemas and
read models once; all of it lives as long as the process. Python's full (oldest
generation) collection still scans every one of those objects each time it runs:
about 100 ms of a core in a serving process, and 117–170 ms in a duty process forked
from the fork server (an open-loop client at 230 queries/s saw every query in flight
stall up to 60 ms while a duty process collected: the machine's two cores are shared).
:func:`freeze_startup` moves what exists now to the permanent generation; full
collections then scan only what was made since (0.6 ms in that duty process).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


def freeze_startup() -> None:
    """Collect once, then keep everything that survived out of later collections.

    Call when start-up is done, in a process that ends with what it froze; where the
    process outlives it, use :func:`frozen_startup`."""
    gc.collect()
    gc.freeze()


@contextlib.contextmanager
def frozen_startup() -> Iterator[None]:
    """:func:`freeze_startup` for the block, given back to the collector when it ends
    (several hubs may share one process, and one of them stop)."""
    freeze_startup()
    try:
        yield
    finally:
        gc.unfreeze()
