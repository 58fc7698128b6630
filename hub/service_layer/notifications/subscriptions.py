"""Subscriptions: which department receives which contract's records, and how.

Declared in the services file beside the services::

    [[subscription]]
    department = "north/tax"                                 # region/department
    contract = "social-security.contribution-history@1.0"
    adapter = "json-mapping"                                 # json-mapping | soap-mapping
    endpoint = "http://127.0.0.1:8002"
    mapping = "mappings/tax.contribution-history-inbox.toml" # relative to the file
    [subscription.auth]                                      # optional, as for a service
    kind = "basic"                                           # (hub.adapters.providers.auth_config)
    username = "hub-north"
    secret = "provider:north/tax/inbox"

Each subscription becomes an internal service of the subscriber,
``region/department/notify-<contract name, dots as dashes>-v<major>`` (service
names allow no dots; the major keeps two majors of one contract apart). It is
routable but not offered: clients cannot query it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from contracts import ContractId, ContractRegistry
from contracts.errors import HubError
from contracts.identity import DepartmentId, ServiceId
from hub.adapters.providers.auth_config import (
    ProviderAuthConfig,
    dump_provider_auth,
    parse_provider_auth,
)
from hub.service_layer.exchanges.routing import ServiceDefinition
from hub.service_layer.notifications.errors import SubscriptionError
from hub.service_layer.notifications.receipt import NotificationReceipt


@dataclass(frozen=True)
class Subscription:
    """One department's subscription to one contract's issued records."""

    department: str  # region/department
    contract: str  # name@MAJOR.MINOR
    adapter: str
    endpoint: str
    mapping: str | None = None
    description: str = ""
    auth: ProviderAuthConfig | None = None  # how the hub proves itself to the subscriber


def notification_service(
    subscription: Subscription, registry: ContractRegistry
) -> ServiceDefinition:
    """The internal service that delivers ``subscription``'s records to its department."""
    try:
        department = DepartmentId.parse(subscription.department)
        contract = ContractId.parse(subscription.contract)
        request = registry.get(contract)
    except HubError as exc:
        raise SubscriptionError(f"subscription {subscription}: {exc.message}") from None
    name = f"notify-{contract.name.replace('.', '-')}-v{contract.major}"
    return ServiceDefinition(
        id=ServiceId(department.region, department.department, name),
        request=request,
        response=NotificationReceipt,
        operation=f"Notify{department.department.title().replace('-', '')}{name}",
        adapter=subscription.adapter,
        endpoint=subscription.endpoint,
        description=subscription.description or f"{contract} records for {department}",
        mapping=subscription.mapping,
        auth=subscription.auth,
    )


def load_subscriptions(path: Path) -> list[Subscription]:
    """Read the ``[[subscription]]`` tables of a services file (none is fine)."""
    with path.open("rb") as handle:
        document = tomllib.load(handle)
    found = []
    for index, table in enumerate(document.get("subscription", [])):
        try:
            mapping = table.get("mapping")
            if mapping is not None and not Path(mapping).is_absolute():
                mapping = str((path.parent / mapping).resolve())
            found.append(Subscription(
                department=table["department"], contract=table["contract"],
                adapter=table["adapter"], endpoint=table["endpoint"], mapping=mapping,
                description=table.get("description", ""),
                auth=parse_provider_auth(table, base=path.parent,
                                         where=f"{path}: subscription[{index}]"),
            ))
        except KeyError as exc:
            raise SubscriptionError(
                f"{path}: subscription[{index}] lacks {exc.args[0]!r}") from None
    return found


def dump_subscriptions(subscriptions: Sequence[Subscription]) -> str:
    """Render subscriptions as the TOML :func:`load_subscriptions` reads."""
    blocks = []
    for s in subscriptions:
        lines = ["[[subscription]]", f'department = "{s.department}"', f'contract = "{s.contract}"',
                 f'adapter = "{s.adapter}"', f'endpoint = "{s.endpoint}"']
        if s.mapping is not None:
            lines.append(f'mapping = "{s.mapping}"')
        if s.description:
            lines.append(f'description = "{s.description}"')
        lines += dump_provider_auth(s.auth, "subscription")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")
