"""Run a hub with the services a ``services.toml`` declares, beside the emulated X-Road provider.

The last step of onboarding a department (docs/onboarding.md, and the
README's short version): the services file names the filled mapping and the provider's
endpoint; this runs the region's hub with exactly those services until Ctrl-C
(or SIGTERM), and — standing in for the department's real server — the
emulated X-Road example provider at a fixed port::

    HUB_HTTP_PORT=8080 .venv/bin/python -m simulations.run_services onboarding/services.toml \\
        --xroad-example-port 8089 --data onboarding/hub-data

Access is denied by default: grant the calling departments their rights in the
same data folder first (each service's ``[[service.purpose]]`` names what may be
asked for), e.g. ``interop-hub access grant north/test-client
north/xroad-example/random --purpose service-test --data onboarding/hub-data``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from contracts import default_registry
from hub.entrypoints.http.asgi_server import serve_asgi
from hub.entrypoints.serve import Hub, run_hub
from hub.service_layer.exchanges.routing import load_services
from hub.service_layer.ingest import load_ingest_sources
from hub.service_layer.notifications.subscriptions import load_subscriptions
from hub.settings import HubSettings
from simulations.xroad_example import ENDPOINT_PATH, XRoadExampleBehaviour, create_app


@dataclass
class ServicesRegion:
    """A running hub with the declared services, and the emulated provider if one was asked."""

    hub: Hub
    provider: XRoadExampleBehaviour | None
    provider_url: str | None


@contextlib.asynccontextmanager
async def running_services(
    settings: HubSettings, services_file: Path, *, xroad_example_port: int | None = None
) -> AsyncIterator[ServicesRegion]:
    """The hub of ``settings.region`` serving ``services_file``'s services for the block."""
    async with contextlib.AsyncExitStack() as stack:
        behaviour, url = None, None
        if xroad_example_port is not None:
            behaviour = XRoadExampleBehaviour()
            base = await stack.enter_async_context(
                serve_asgi(create_app(behaviour), port=xroad_example_port, name="xroad-example")
            )
            url = f"{base}{ENDPOINT_PATH}"
        services = load_services(services_file, default_registry())
        subscriptions = load_subscriptions(services_file)
        ingest = load_ingest_sources(services_file)  # [[ingest]] tables (hub.service_layer.ingest)
        hub = await stack.enter_async_context(
            run_hub(settings, services, subscriptions=subscriptions, ingest=ingest))
        yield ServicesRegion(hub, behaviour, url)


async def _serve(settings: HubSettings, services_file: Path, port: int | None) -> int:
    async with running_services(settings, services_file, xroad_example_port=port) as region:
        if region.provider_url:
            print(f"X-Road example provider: {region.provider_url}", flush=True)
        for service in region.hub.directory:
            print(f"service {service.id}: POST {region.hub.http_url}/services/{service.id}"
                  f"  (SOAP operation {service.operation} at {region.hub.http_url}/soap)",
                  flush=True)
        print("clients authenticate with 'Authorization: Bearer <token>'; issue one with "
              f"`interop-hub credentials issue {settings.region}/<department> "
              f"--data {settings.data}`", flush=True)
        print("running; press Ctrl-C to stop", flush=True)
        await asyncio.Event().wait()
    return 0  # pragma: no cover - only a signal ends the wait


def main() -> None:
    """Entry point: ``python -m simulations.run_services SERVICES_TOML [options]``."""
    from hub.entrypoints.cli.common import load_settings, run_until_signalled
    from hub.logs import configure_logging

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("services", type=Path, help="the services.toml to serve")
    parser.add_argument("--xroad-example-port", type=int, default=None,
                        help="also serve the emulated X-Road example provider on this port")
    parser.add_argument("--data", type=Path, default=None, help="the region's data folder")
    args = parser.parse_args()
    settings = load_settings(args.data)
    configure_logging(settings.log_format, "warning")
    raise SystemExit(run_until_signalled(_serve(settings, args.services, args.xroad_example_port)))


if __name__ == "__main__":
    main()
