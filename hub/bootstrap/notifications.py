"""Build the subscribers' adapters and the notifier for ``run_hub``."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from contracts import ContractRegistry
from hub.service_layer.exchanges.routing import ServiceDefinition, ServiceDirectory
from hub.service_layer.notifications.errors import SubscriptionError
from hub.service_layer.notifications.receipt import NotificationReceipt
from hub.service_layer.notifications.subscriptions import Subscription, notification_service
from translation.mapping.compiled import load_mapping
from translation.mapping.json_provider import JsonMappingProvider
from translation.mapping.soap_provider import SoapMappingProvider
from translation.port import ProviderAdapter
from translation.provider_auth import NO_AUTH, ProviderAuth


def notification_services(
    subscriptions: Sequence[Subscription], directory: ServiceDirectory,
    registry: ContractRegistry,
) -> list[ServiceDefinition]:
    """Register the receipt contract and add one internal service per subscription."""
    registry.register(NotificationReceipt)
    services = [notification_service(s, registry) for s in subscriptions]
    for service in services:
        directory.add_internal(service)
    return services


async def notification_adapters(
    services: Sequence[ServiceDefinition], registry: ContractRegistry, call_timeout_s: float,
    auths: Mapping[str, ProviderAuth] = MappingProxyType({}),
) -> dict[str, ProviderAdapter]:
    """One adapter per notification service; the mapping's response is the receipt.

    ``auths``: resolved credentials by service id (:mod:`hub.adapters.providers.secrets`).
    """
    adapters: dict[str, ProviderAdapter] = {}
    for service in services:
        if service.mapping is None or service.adapter not in ("json-mapping", "soap-mapping"):
            raise SubscriptionError(
                f"subscription {service.id}: adapter must be json-mapping or soap-mapping "
                "with a mapping file")
        compiled = await asyncio.to_thread(load_mapping, service.mapping, registry=registry)
        if compiled.request_contract is not service.request:
            raise SubscriptionError(
                f"subscription {service.id}: mapping {service.mapping} translates "
                f"{compiled.request_contract.contract_id()}, not {service.request.contract_id()}")
        adapter: ProviderAdapter
        auth = auths.get(str(service.id), NO_AUTH)
        if service.adapter == "json-mapping":
            adapter = JsonMappingProvider(compiled, service.endpoint, timeout=call_timeout_s,
                                          auth=auth)
        else:
            adapter = await SoapMappingProvider.connect(compiled, service.endpoint,
                                                        timeout=call_timeout_s, auth=auth)
        adapters[str(service.id)] = adapter
    return adapters
