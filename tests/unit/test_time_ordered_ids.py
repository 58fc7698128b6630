"""Exchange ids are UUID version 7 (RFC 9562): creation time first, then random bits."""

from __future__ import annotations

import time
import uuid

from hub.domain.exchange import Exchange
from hub.domain.time_ordered import time_ordered_id


def test_an_id_is_version_7_of_the_rfc_variant_and_carries_its_time() -> None:
    before = time.time_ns() // 1_000_000
    made = time_ordered_id()
    after = time.time_ns() // 1_000_000
    assert made.version == 7 and made.variant == uuid.RFC_4122
    assert before <= made.int >> 80 <= after
    assert str(uuid.UUID(str(made))) == str(made)


def test_ids_made_in_later_milliseconds_sort_after_earlier_ones_as_text() -> None:
    """The ledger keys events by the id's text: later exchanges land at the index's end."""
    made = []
    for _ in range(5):
        made.append(time_ordered_id())
        time.sleep(0.002)
    assert [str(i) for i in made] == sorted(str(i) for i in made)


def test_ids_made_in_one_millisecond_differ_in_their_random_bits() -> None:
    made = {time_ordered_id() for _ in range(10_000)}
    assert len(made) == 10_000
    assert len({i.int & ((1 << 62) - 1) for i in made}) == 10_000


def test_a_new_exchange_gets_a_time_ordered_id() -> None:
    assert Exchange.create_id().version == 7
