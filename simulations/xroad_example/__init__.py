"""An emulated X-Road v4 provider answering X-Road's example services (getRandom, helloService)."""

from simulations.xroad_example.app import ENDPOINT_PATH, XRoadExampleBehaviour, create_app
from simulations.xroad_example.services import xroad_example_services

__all__ = ["ENDPOINT_PATH", "XRoadExampleBehaviour", "create_app", "xroad_example_services"]
