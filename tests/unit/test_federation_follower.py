"""The federation log follower handles its own writes without reading them back, gaps aside."""

from __future__ import annotations

import uuid

from eventsourcing.application import Application
from eventsourcing.persistence import Notification

from hub.service_layer.federation.follower import KnownIds, LogFollower

TOPIC = "interop-hub:recognition.opened"


def _notification(position: int) -> Notification:
    return Notification(id=position, originator_id=uuid.uuid4(), originator_version=1,
                        topic=TOPIC, state=b"{}")


def test_own_notifications_right_after_the_position_are_handled_at_once() -> None:
    """Contiguous notifications are handled and move the position; from a gap on, nothing is
    (the next refresh reads that range from the store)."""
    follower = LogFollower(Application())
    known = KnownIds()
    follower.on((TOPIC,), known.add)
    first, second, after_gap = _notification(1), _notification(2), _notification(4)
    follower.recorded([first, second, after_gap])
    assert known.may_exist(first.originator_id) and known.may_exist(second.originator_id)
    assert not known.may_exist(after_gap.originator_id)
    follower.recorded([after_gap])
    assert not known.may_exist(after_gap.originator_id)
    third = _notification(3)
    follower.recorded([third, after_gap])
    assert known.may_exist(third.originator_id) and known.may_exist(after_gap.originator_id)
