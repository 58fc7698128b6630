"""The service directory: which services this region offers and how to reach them."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from contracts import Contract, ContractRegistry
from contracts.identity import ServiceId
from hub.adapters.providers.auth_config import (
    ProviderAuthConfig,
    dump_provider_auth,
    parse_provider_auth,
)
from hub.domain.watch_policy import DEFAULT_POLICY, WatchPolicy, dump_watch, parse_watch
from hub.errors import RoutingError, UnknownServiceError
from hub.service_layer.security.purposes import (
    Purpose,
    check_purposes,
    dump_purposes,
    parse_purposes,
)
from translation.native_soap import NativeSoapFormat
from translation.xroad_ids import XRoadServiceId


@dataclass(frozen=True)
class ServiceDefinition:
    """One service of a provider department, as the hub exposes and calls it."""

    id: ServiceId
    request: type[Contract]
    response: type[Contract]
    operation: str
    adapter: str
    endpoint: str
    description: str = ""
    time_limit_s: float | None = None
    # The service's own SOAP vocabulary (and X-Road id), for clients that speak it natively.
    native: NativeSoapFormat | None = None
    # The mapping file that drives a soap-mapping / json-mapping adapter.
    mapping: str | None = None
    # What the service may be queried for, each with its basis and fields
    # (hub.service_layer.security).
    purposes: tuple[Purpose, ...] = ()
    # The X-Road service id X-Road clients address it by (``xroad`` in services.toml).
    xroad: XRoadServiceId | None = None
    # How the hub proves who it is to the provider: TLS, client certificate, Basic, WS-Security.
    auth: ProviderAuthConfig | None = None
    # What counts as unusual access to it (``[service.watch]``; hub.domain.watch_policy).
    watch: WatchPolicy = DEFAULT_POLICY

    @property
    def xroad_service(self) -> XRoadServiceId | None:
        """The X-Road id it answers to: the declared one, else its native format's."""
        if self.xroad is not None:
            return self.xroad
        return self.native.xroad_service if self.native is not None else None


class ServiceDirectory:
    """Looks services up by id or by SOAP operation, and names their delivery subjects."""

    def __init__(self, region: str, services: Iterable[ServiceDefinition]) -> None:
        self.region = region
        self._by_id: dict[str, ServiceDefinition] = {}
        self._by_operation: dict[str, ServiceDefinition] = {}
        # notification deliveries (hub.service_layer.notifications)
        self._internal: set[str] = set()
        by_xroad: dict[XRoadServiceId, ServiceId] = {}
        for service in services:
            if service.id.region != region:
                raise RoutingError(f"service {service.id} does not belong to region {region}")
            _claim_xroad(by_xroad, service)
            check_purposes(service.purposes, service.response, where=f"service {service.id}")
            self._by_id[str(service.id)] = service
            self._by_operation[service.operation] = service

    def get(self, service: str) -> ServiceDefinition:
        try:
            return self._by_id[service]
        except KeyError:
            raise UnknownServiceError(service, sorted(self._by_id)) from None

    def __contains__(self, service: object) -> bool:
        return service in self._by_id

    def add_internal(self, service: ServiceDefinition) -> None:
        """Route to ``service`` without offering it: no ingress route, no listing.

        Used for notification deliveries (hub.service_layer.notifications): the relay and the
        delivery worker find it by id; clients cannot query it.
        """
        if service.id.region != self.region:
            raise RoutingError(f"service {service.id} does not belong to region {self.region}")
        if str(service.id) in self._by_id:
            raise RoutingError(f"service {service.id} is declared twice")
        self._by_id[str(service.id)] = service
        self._internal.add(str(service.id))

    def is_internal(self, service: str) -> bool:
        """True for a service added with :meth:`add_internal`."""
        return service in self._internal

    def by_operation(self, operation: str) -> ServiceDefinition:
        try:
            return self._by_operation[operation]
        except KeyError:
            raise UnknownServiceError(
                f"operation {operation}", sorted(self._by_operation)
            ) from None

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(s for k, s in self._by_id.items() if k not in self._internal)

    def delivery_subject(self, service: ServiceDefinition) -> str:
        """Where exchanges for ``service`` wait for its provider's delivery worker."""
        return f"{self.subject_prefix}.{service.id.department}.{service.id.service}"

    def department_filter(self, department: str) -> str:
        """The subject filter of one provider department's durable consumer."""
        return f"{self.subject_prefix}.{department}.>"

    @property
    def subject_prefix(self) -> str:
        return f"hub.{self.region}.deliver"

    def departments(self) -> list[str]:
        return sorted({s.id.department for s in self._by_id.values()})


def load_services(path: Path, registry: ContractRegistry) -> list[ServiceDefinition]:
    """Read service definitions from a TOML file (``[[service]]`` tables)."""
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RoutingError(f"{path} is not a TOML file: {exc}") from None
    tables = document.get("service", [])
    if not isinstance(tables, list):
        raise RoutingError(f"{path}: service must be [[service]] tables")
    services = []
    for index, table in enumerate(tables):
        if not isinstance(table, dict):
            raise RoutingError(f"{path}: service[{index}] is not a table: write [[service]]")
        try:
            response = registry.get(table["response"])
            services.append(
                ServiceDefinition(
                    id=ServiceId.parse(table["id"]),
                    request=registry.get(table["request"]),
                    response=response,
                    operation=table["operation"],
                    adapter=table["adapter"],
                    endpoint=table["endpoint"],
                    description=table.get("description", ""),
                    time_limit_s=table.get("time_limit_s"),
                    mapping=_beside(path, table.get("mapping")),
                    purposes=parse_purposes(
                        table.get("purpose", []), response,
                        where=f"{path}: service {table['id']}",
                    ),
                    xroad=_xroad_id(table.get("xroad"), where=f"{path}: service {table['id']}"),
                    auth=parse_provider_auth(table, base=path.parent,
                                             where=f"{path}: service {table['id']}"),
                    watch=parse_watch(table.get("watch"), where=f"{path}: service {table['id']}"),
                )
            )
        except KeyError as exc:
            raise RoutingError(f"{path}: service[{index}] lacks {exc.args[0]!r}") from None
    return services


def time_limits(services: Iterable[ServiceDefinition]) -> dict[str, float]:
    """Each service's declared time limit in seconds, by service id (where it declares one)."""
    return {str(s.id): float(s.time_limit_s) for s in services if s.time_limit_s is not None}


def watch_policies(services: Iterable[ServiceDefinition]) -> dict[str, WatchPolicy]:
    """Each service's access-watch thresholds, by service id."""
    return {str(s.id): s.watch for s in services}


def dump_services(services: Iterable[ServiceDefinition]) -> str:
    """Render service definitions as the TOML that :func:`load_services` reads."""
    blocks = []
    for s in services:
        lines = [
            "[[service]]",
            f'id = "{s.id}"',
            f'request = "{s.request.contract_id()}"',
            f'response = "{s.response.contract_id()}"',
            f'operation = "{s.operation}"',
            f'adapter = "{s.adapter}"',
            f'endpoint = "{s.endpoint}"',
            f'description = "{s.description}"',
        ]
        if s.time_limit_s is not None:
            lines.append(f"time_limit_s = {s.time_limit_s}")
        if s.mapping is not None:
            lines.append(f'mapping = "{s.mapping}"')
        if s.xroad is not None:
            lines.append(f'xroad = "{s.xroad.path}"')
        lines += dump_purposes(s.purposes)
        lines += dump_provider_auth(s.auth)
        lines += dump_watch(s.watch)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _xroad_id(value: object, *, where: str) -> XRoadServiceId | None:
    """The ``xroad`` field: INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/VERSION], or absent."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RoutingError(f"{where}: xroad must be a string such as "
                           '"NORTH/GOV/1234/social/contribution-history/v1"')
    try:
        return XRoadServiceId.parse(value)
    except ValueError as exc:
        raise RoutingError(f"{where}: xroad {exc}") from None


def _claim_xroad(by_xroad: dict[XRoadServiceId, ServiceId], service: ServiceDefinition) -> None:
    """Refuse two services answering to one X-Road id (a request could reach either)."""
    xroad = service.xroad_service
    if xroad is None:
        return
    other = by_xroad.setdefault(xroad, service.id)
    if other != service.id:
        raise RoutingError(f"services {other} and {service.id} both answer to X-Road {xroad}")


def _beside(services_file: Path, location: str | None) -> str | None:
    """A mapping path as written in the services file, relative to that file."""
    if location is None or Path(location).is_absolute():
        return location
    return str((services_file.parent / location).resolve())
