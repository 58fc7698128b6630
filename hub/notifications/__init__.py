"""Notifications within a region (issue 5, part 9).

A department issues a record (``POST /records/{contract}``); the hub validates
it, records the issuance, and creates one exchange per subscriber of that
contract. Each exchange takes the ordinary path (outbox relay, JetStream,
durable consumer, delivery worker) to the subscriber's adapter, which encodes
the record in the subscriber's own format; the subscriber's acknowledgement is
the exchange's response (a :class:`NotificationReceipt`).
"""

from hub.notifications.errors import (
    NotificationError,
    SubscriptionError,
    UnsubscribableContractError,
)
from hub.notifications.issuer import Issued, Notifier
from hub.notifications.receipt import NotificationReceipt
from hub.notifications.subscriptions import Subscription, load_subscriptions, notification_service

__all__ = [
    "Issued",
    "NotificationError",
    "NotificationReceipt",
    "Notifier",
    "Subscription",
    "SubscriptionError",
    "UnsubscribableContractError",
    "load_subscriptions",
    "notification_service",
]
