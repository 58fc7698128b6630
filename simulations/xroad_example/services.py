"""The hub services that front the emulated X-Road example provider."""

from __future__ import annotations

from contracts.identity import ServiceId
from contracts.xroad_example import Hello, HelloQuery, RandomNumber, RandomNumberQuery
from hub.service_layer.exchanges.routing import ServiceDefinition
from hub.service_layer.security.purposes import Purpose
from translation.xroad_example import GET_RANDOM, HELLO_SERVICE

DEPARTMENT = "xroad-example"
# X-Road's example services carry no personal data; their one purpose says so.
XROAD_PURPOSE = "service-test"


def _purpose(field: str) -> tuple[Purpose, ...]:
    return (Purpose(XROAD_PURPOSE, (field,),
                    legal_basis="X-Road example service: no personal data"),)


def xroad_example_services(region: str, endpoint: str) -> list[ServiceDefinition]:
    """``<region>/xroad-example/get-random`` and ``.../hello-service``, served at ``endpoint``.

    Both declare their native X-Road format, so X-Road clients may call them with
    X-Road's own messages (and the X-Road service ids DEV/COM/1234/TestService/...).
    """
    return [
        ServiceDefinition(
            id=ServiceId(region, DEPARTMENT, "get-random"),
            request=RandomNumberQuery,
            response=RandomNumber,
            operation="XRoadGetRandom",
            adapter="xroad-example-get-random",
            endpoint=endpoint,
            description="A random number (X-Road example service getRandom)",
            time_limit_s=2.0,
            native=GET_RANDOM,
            purposes=_purpose("number"),
        ),
        ServiceDefinition(
            id=ServiceId(region, DEPARTMENT, "hello-service"),
            request=HelloQuery,
            response=Hello,
            operation="XRoadHelloService",
            adapter="xroad-example-hello-service",
            endpoint=endpoint,
            description="A greeting (X-Road example service helloService)",
            time_limit_s=2.0,
            native=HELLO_SERVICE,
            purposes=_purpose("message"),
        ),
    ]
