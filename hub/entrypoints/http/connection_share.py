"""How many connections each worker of a ``serve --workers N`` pool holds, seen by all of them.

The workers accept from one inherited listening socket, and the kernel gives a
new connection to whichever worker calls ``accept`` first — the one whose event
loop happens to be free at that instant, often the same one for a whole burst
(an event loop accepts everything queued before it turns back to its requests).
Clients that keep their connections alive then stay where the burst put them:
measured with the P1 client's 16 kept-alive connections, one worker ran at 0.84
of a core and the other at 0.30, and the pool answered no more than one process.

So the pool keeps a small table shared by its processes: one slot per worker
holding the number of connections it serves, or ``ABSENT`` for a worker not
serving (starting, stopping, or dead: the parent clears the slot of a worker that
exits). A worker takes new connections while it holds no more than any other
present worker (:meth:`ConnectionShare.fewest`); the acceptor
(:mod:`hub.entrypoints.http.pool_listener`) leaves them to the others otherwise.

The table is a file mapped into each process, made by the parent (unlinked as
soon as it exists, so nothing is left behind) and passed to its workers as an
inherited descriptor, like the socket. Each worker writes only its own slot
(eight aligned bytes, one store) and reads the others'; a reader sees a count
at most one refresh old (:data:`hub.entrypoints.http.pool_listener.REFRESH_S`),
which can cost balance but never liveness: the acceptor takes a connection that
waited too long whatever the table says.
"""

from __future__ import annotations

import mmap
import os
import tempfile

from contracts.errors import HubError

ABSENT = -1
_SLOT_BYTES = 8  # one signed 64-bit count


class ConnectionShare:
    """The pool's table of connections per worker; ``slot`` is this process's own, if any."""

    def __init__(self, fd: int, slot: int | None = None) -> None:
        size = os.fstat(fd).st_size
        if size == 0 or size % _SLOT_BYTES:
            raise HubError(f"the pool's connection table (fd {fd}) has {size} bytes, "
                           f"not a multiple of {_SLOT_BYTES}")
        if slot is not None and not 0 <= slot < size // _SLOT_BYTES:
            raise HubError(f"pool slot {slot} is outside the table's {size // _SLOT_BYTES} "
                           "slots")
        self._map = mmap.mmap(fd, size)
        self._counts = memoryview(self._map).cast("q")
        self.fd = fd
        self.slot = slot

    @classmethod
    def create(cls, workers: int) -> ConnectionShare:
        """A new table of ``workers`` slots, every one absent, on an inheritable descriptor."""
        fd, path = tempfile.mkstemp(prefix="interop-hub-pool-")
        os.unlink(path)  # the descriptors keep it; nothing to clean up after any exit
        os.ftruncate(fd, workers * _SLOT_BYTES)
        os.set_inheritable(fd, True)
        share = cls(fd)
        for slot in range(workers):
            share.withdraw(slot)
        return share

    def __len__(self) -> int:
        return len(self._counts)

    def publish(self, count: int) -> None:
        """Write how many connections this process serves now."""
        self._counts[self._own()] = count

    def withdraw(self, slot: int | None = None) -> None:
        """Mark a worker (this one when ``slot`` is None) as serving nothing and taking nothing."""
        self._counts[self._own() if slot is None else slot] = ABSENT

    def count(self, slot: int) -> int:
        """What ``slot`` published last (``ABSENT`` when not serving)."""
        return int(self._counts[slot])

    def fewest(self, count: int) -> bool:
        """Whether ``count`` connections are no more than any other present worker holds."""
        own = self._own()
        return all(other == ABSENT or count <= other
                   for slot, other in enumerate(self._counts) if slot != own)

    def close(self) -> None:
        """Unmap the table (the descriptor stays with whoever opened it)."""
        self._counts.release()
        self._map.close()

    def _own(self) -> int:
        if self.slot is None:
            raise HubError("this process holds no slot of the pool's connection table")
        return self.slot
