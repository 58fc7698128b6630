"""The ``CaseNotice`` aggregate: a portal notification of a case change that was given up.

A portal is notified of every change of the cases it filed; a delivery that still fails
after its bounded attempts is recorded here, once per delivery id (the id is derived from
it, so a second record of the same delivery, e.g. after a restart, is refused by the
store), and the portal's notifications go on with the next change. The record says what
the portal missed and why, for the operator; the portal catches up with
``GET /cases/{id}``. Nothing personal: the case id, the change and the problem.
"""

from __future__ import annotations

import datetime as dt
from typing import dataclass_transform
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


def notice_id(delivery_id: str) -> UUID:
    """The aggregate id of the notice of one delivery."""
    return uuid5(NAMESPACE_URL, f"urn:interop-hub:case-notice:{delivery_id}")


class CaseNotice(Aggregate):
    """One portal notification that could not be delivered."""

    TOPIC = "interop-hub:case-notice"

    @dataclass_transform(frozen_default=True)
    class Event(Aggregate.Event):
        """Base of every case notice event."""

        TOPIC = "interop-hub:case-notice.event"

    class Abandoned(Event, Aggregate.Created):
        """The delivery to ``portal`` failed ``attempts`` times; the last ``problem``."""

        TOPIC = "interop-hub:case-notice.abandoned"
        class_version = 1
        delivery_id: str
        portal: str
        case_id: str
        case_version: int
        change: str
        attempts: int
        problem: str
        at: dt.datetime

    @staticmethod
    def create_id(delivery_id: str, **_: object) -> UUID:
        return notice_id(delivery_id)

    @event(Abandoned)
    def __init__(self, delivery_id: str, portal: str, case_id: str, case_version: int,
                 change: str, attempts: int, problem: str, at: dt.datetime) -> None:
        self.delivery_id = delivery_id
        self.portal = portal
        self.case_id = case_id
        self.case_version = case_version
        self.change = change
        self.attempts = attempts
        self.problem = problem
        self.at = at
