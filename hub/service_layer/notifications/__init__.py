"""Notifications within a region (issue 5, part 9).

A department issues a record (``POST /records/{contract}``); the hub validates
it, records the issuance, and creates one exchange per subscriber of that
contract. Each exchange takes the ordinary path (outbox relay, JetStream,
durable consumer, delivery worker) to the subscriber's adapter, which encodes
the record in the subscriber's own format; the subscriber's acknowledgement is
the exchange's response (a :class:`NotificationReceipt`).
"""

from hub.service_layer.notifications.errors import (
    NotificationError,
    SubscriptionError,
    UnsubscribableContractError,
)
from hub.service_layer.notifications.issuer import Issued, Notifier
from hub.service_layer.notifications.receipt import NotificationReceipt
from hub.service_layer.notifications.subscriptions import (
    Subscription,
    load_subscriptions,
    notification_service,
)

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
