"""X-Road's example services (xrd4j example adapter): native formats, service ids, adapters.

``getRandom`` and ``helloService`` of member ``DEV/COM/1234``, subsystem
``TestService``, in ``http://test.x-road.global/producer`` (the example
adapter's WSDL). X-Road's own sample ``getRandom.xml`` still uses the older
``http://test.x-road.fi/producer`` and an empty ``<request/>`` child: both are
accepted explicitly, and the answer goes back in the namespace the client used.
"""

from __future__ import annotations

from contracts.xroad_example import Hello, HelloQuery, RandomNumber, RandomNumberQuery
from translation.native_soap import NativeMessage, NativeSoapFormat
from translation.port import ProviderAdapter
from translation.xroad_headers import XRoadClientId, XRoadServiceId
from translation.xroad_soap import XRoadSoapAdapter

PRODUCER_NS = "http://test.x-road.global/producer"
LEGACY_PRODUCER_NS = "http://test.x-road.fi/producer"
TEST_SERVICE = XRoadClientId("DEV", "COM", "1234", "TestService")
# How the hub presents itself, as an X-Road client, to the example provider.
HUB_AS_CLIENT = XRoadClientId("DEV", "GOV", "1000", "interop-hub")


def _service(code: str) -> XRoadServiceId:
    p = TEST_SERVICE
    return XRoadServiceId(p.instance, p.member_class, p.member_code, p.subsystem_code, code, "v1")


GET_RANDOM = NativeSoapFormat(
    namespace=PRODUCER_NS,
    aliases=(LEGACY_PRODUCER_NS,),
    request=NativeMessage("getRandom", tolerated_empty=frozenset({"request"})),
    response=NativeMessage("getRandomResponse", {"data": "number"}),
    xroad_service=_service("getRandom"),
)
HELLO_SERVICE = NativeSoapFormat(
    namespace=PRODUCER_NS,
    aliases=(LEGACY_PRODUCER_NS,),
    request=NativeMessage("helloService", {"name": "name"}),
    response=NativeMessage("helloServiceResponse", {"message": "message"}),
    xroad_service=_service("helloService"),
)


async def connect_get_random(endpoint: str, call_timeout_s: float) -> ProviderAdapter:
    """The adapter calling ``getRandom`` at ``endpoint``."""
    return XRoadSoapAdapter(
        endpoint,
        GET_RANDOM,
        request_contract=RandomNumberQuery,
        response_contract=RandomNumber,
        client=HUB_AS_CLIENT,
        timeout=call_timeout_s,
    )


async def connect_hello_service(endpoint: str, call_timeout_s: float) -> ProviderAdapter:
    """The adapter calling ``helloService`` at ``endpoint``."""
    return XRoadSoapAdapter(
        endpoint,
        HELLO_SERVICE,
        request_contract=HelloQuery,
        response_contract=Hello,
        client=HUB_AS_CLIENT,
        timeout=call_timeout_s,
    )


# Adapter kinds for hub.bootstrap.providers.ADAPTER_KINDS.
XROAD_EXAMPLE_KINDS = {
    "xroad-example-get-random": connect_get_random,
    "xroad-example-hello-service": connect_hello_service,
}
