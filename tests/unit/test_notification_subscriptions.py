"""Subscriptions in the services file and the internal services they become."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts import default_registry
from contracts.social_security import ContributionHistory
from hub.bootstrap.notifications import notification_services
from hub.service_layer.exchanges.routing import ServiceDirectory
from hub.service_layer.notifications import NotificationReceipt, Subscription, SubscriptionError
from hub.service_layer.notifications.subscriptions import (
    dump_subscriptions,
    load_subscriptions,
    notification_service,
)

CONTRACT = "social-security.contribution-history@1.0"


def test_subscriptions_round_trip_through_the_services_file(tmp_path: Path) -> None:
    """dump_subscriptions writes what load_subscriptions reads; mappings resolve beside it."""
    file = tmp_path / "services.toml"
    file.write_text('[[service]]\nid = "x"\n\n' + dump_subscriptions([
        Subscription("north/tax", CONTRACT, "json-mapping", "http://127.0.0.1:1", "inbox.toml"),
    ]))
    [loaded] = load_subscriptions(file)
    assert loaded.department == "north/tax" and loaded.contract == CONTRACT
    assert loaded.mapping == str(tmp_path / "inbox.toml")


def test_incomplete_subscription_is_refused(tmp_path: Path) -> None:
    """A subscription table without its endpoint names the missing key."""
    file = tmp_path / "services.toml"
    file.write_text(f'[[subscription]]\ndepartment = "north/tax"\ncontract = "{CONTRACT}"\n'
                    'adapter = "json-mapping"\n')
    with pytest.raises(SubscriptionError, match="endpoint"):
        load_subscriptions(file)


def test_notification_service_is_named_after_the_contract_and_major() -> None:
    """The internal service is region/department/notify-<contract>-v<major>."""
    registry = default_registry()
    registry.register(NotificationReceipt)
    service = notification_service(
        Subscription("north/tax", CONTRACT, "json-mapping", "http://127.0.0.1:1"), registry)
    assert str(service.id) == "north/tax/notify-social-security-contribution-history-v1"
    assert service.request is ContributionHistory and service.response is NotificationReceipt


def test_unknown_contract_or_department_is_a_subscription_error() -> None:
    """A subscription to an unknown contract or from a malformed department is refused."""
    registry = default_registry()
    with pytest.raises(SubscriptionError):
        notification_service(Subscription("north/tax", "no.such@1.0", "json-mapping", "x"),
                             registry)
    with pytest.raises(SubscriptionError):
        notification_service(Subscription("tax", CONTRACT, "json-mapping", "x"), registry)


def test_notification_services_are_routable_but_not_offered() -> None:
    """The directory resolves a notification service but neither lists nor exposes it."""
    directory = ServiceDirectory("north", [])
    [service] = notification_services(
        [Subscription("north/tax", CONTRACT, "json-mapping", "http://127.0.0.1:1")],
        directory, default_registry())
    assert directory.get(str(service.id)) is service and directory.is_internal(str(service.id))
    assert list(directory) == [] and directory.departments() == ["tax"]
