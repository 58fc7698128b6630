"""Provider adapters by declared kind: how the hub calls each department service it routes to.

A service names its adapter kind in the services file (``adapter = "soap-mapping"``,
``"json-mapping"`` or one of X-Road's example kinds); :func:`build_adapters` builds one
adapter per service with the credentials the service declares.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import MappingProxyType

from hub.errors import RoutingError
from hub.service_layer.exchanges.routing import ServiceDefinition
from translation.errors import ProviderConfigError
from translation.mapping.json_provider import JsonMappingProvider
from translation.mapping.soap_provider import SoapMappingProvider
from translation.port import ProviderAdapter
from translation.provider_auth import NO_AUTH, ProviderAuth
from translation.xroad_example import XROAD_EXAMPLE_KINDS

# factory(endpoint, call_timeout_s), plus mapping=<file> for services that declare one,
# and auth=<ProviderAuth> for services that declare how the hub proves itself to them.
AdapterFactory = Callable[..., Awaitable[ProviderAdapter]]


async def _soap_mapping(
    endpoint: str, call_timeout_s: float, mapping: str | None = None,
    auth: ProviderAuth = NO_AUTH,
) -> ProviderAdapter:
    if mapping is None:
        raise RoutingError(f"adapter kind soap-mapping needs a mapping file ({endpoint})")
    return await SoapMappingProvider.connect(mapping, endpoint, timeout=call_timeout_s,
                                             auth=auth)


async def _json_mapping(
    endpoint: str, call_timeout_s: float, mapping: str | None = None,
    auth: ProviderAuth = NO_AUTH,
) -> ProviderAdapter:
    if mapping is None:
        raise RoutingError(f"adapter kind json-mapping needs a mapping file ({endpoint})")
    return await JsonMappingProvider.connect(mapping, endpoint, timeout=call_timeout_s,
                                             auth=auth)


ADAPTER_KINDS: dict[str, AdapterFactory] = {
    "soap-mapping": _soap_mapping,
    "json-mapping": _json_mapping,
    **XROAD_EXAMPLE_KINDS,
}


AUTH_KINDS = ("soap-mapping", "json-mapping")  # adapter kinds that take provider credentials


async def build_adapters(
    services: Sequence[ServiceDefinition], call_timeout_s: float,
    auths: Mapping[str, ProviderAuth] = MappingProxyType({}),
) -> dict[str, ProviderAdapter]:
    """One provider adapter per service, by its declared adapter kind.

    ``auths``: the resolved credentials of the services that declare any
    (:meth:`hub.adapters.providers.secrets.ProviderSecrets.resolve_all`), by service id.
    """
    adapters: dict[str, ProviderAdapter] = {}
    for service in services:
        factory = ADAPTER_KINDS.get(service.adapter)
        if factory is None:
            raise RoutingError(
                f"service {service.id}: unknown adapter kind {service.adapter!r}; "
                f"known: {', '.join(sorted(ADAPTER_KINDS))}"
            )
        extra: dict[str, object] = (
            {"mapping": service.mapping} if service.mapping is not None else {})
        if str(service.id) in auths:
            if service.adapter not in AUTH_KINDS:
                raise ProviderConfigError(
                    f"service {service.id}: adapter kind {service.adapter!r} takes no tls/auth; "
                    f"only {', '.join(AUTH_KINDS)} do", field="auth")
            extra["auth"] = auths[str(service.id)]
        adapters[str(service.id)] = await factory(service.endpoint, call_timeout_s, **extra)
    return adapters
