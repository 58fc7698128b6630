"""The pool's table of connections per worker (hub.entrypoints.http.connection_share)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from contracts.errors import HubError
from hub.entrypoints.http.connection_share import ABSENT, ConnectionShare


def test_a_new_table_has_every_worker_absent_and_its_descriptor_inheritable() -> None:
    """The parent makes the table before any worker serves: nobody is counted yet, and the
    descriptor survives exec into the workers."""
    share = ConnectionShare.create(3)
    try:
        assert len(share) == 3
        assert [share.count(slot) for slot in range(3)] == [ABSENT] * 3
        assert os.get_inheritable(share.fd)
    finally:
        share.close()
        os.close(share.fd)


def test_workers_see_each_others_counts_and_the_fewest_takes_connections() -> None:
    """Each worker writes its own slot through its own mapping of one file; a worker takes
    connections while it holds no more than any other present worker, absent ones aside."""
    parent = ConnectionShare.create(3)
    first, second = ConnectionShare(parent.fd, 0), ConnectionShare(parent.fd, 1)
    try:
        assert first.fewest(5)  # alone in the pool: always
        first.publish(5)
        second.publish(3)
        assert parent.count(0) == 5 and parent.count(1) == 3
        assert not first.fewest(5)
        assert second.fewest(3)
        assert first.fewest(3)  # a tie takes, so someone always does
        second.withdraw()  # stopping: its connections no longer weigh
        assert first.fewest(5)
        first.publish(4)
        parent.withdraw(0)  # the parent's word for a worker that died
        assert parent.count(0) == ABSENT
    finally:
        for share in (first, second, parent):
            share.close()
        os.close(parent.fd)


def test_a_slot_outside_the_table_or_a_foreign_file_is_refused(tmp_path: Path) -> None:
    """A worker started with a slot the table does not have, or a descriptor that is not a
    table, is refused with a message naming it, not left to write past the mapping."""
    parent = ConnectionShare.create(2)
    try:
        with pytest.raises(HubError, match="slot 2 is outside the table's 2 slots"):
            ConnectionShare(parent.fd, 2)
        odd = tmp_path / "odd"
        odd.write_bytes(b"12345")
        fd = os.open(odd, os.O_RDWR)
        try:
            with pytest.raises(HubError, match="has 5 bytes"):
                ConnectionShare(fd, 0)
        finally:
            os.close(fd)
        with pytest.raises(HubError, match="holds no slot"):
            parent.publish(1)
    finally:
        parent.close()
        os.close(parent.fd)
