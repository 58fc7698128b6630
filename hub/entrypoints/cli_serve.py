"""``interop-hub serve``: run one region's hub with the services a services file declares.

This is the production entry point (one hub worker; start several against the
same PostgreSQL store and NATS cluster to scale out, as ``docker-compose.yml``
does). Everything else comes from the ``HUB_*`` settings: ``HUB_STORE`` for
PostgreSQL, ``HUB_NATS_URL`` for an external NATS cluster (else an embedded
``nats-server`` is started), ``HUB_HTTP_HOST``/``HUB_HTTP_PORT`` for the listener.
It runs until SIGINT or SIGTERM, then drains and stops in order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from contracts import default_registry
from hub.bootstrap import run_hub

# ``cli`` imports this module while it loads; its names are read only when a command runs.
from hub.entrypoints import cli as hub_cli
from hub.notifications.subscriptions import load_subscriptions
from hub.routing import load_services
from hub.settings import HubSettings

ServicesArgument = Annotated[
    Path,
    typer.Argument(
        help=r"The services file (\[\[service]] and \[\[subscription]] tables)",
        exists=True, dir_okay=False, readable=True, show_default=False,
    ),
]


def serve(services: ServicesArgument, data: hub_cli.DataOption = None) -> None:
    """Run the hub with SERVICES until SIGINT/SIGTERM; print where it listens."""
    from hub.logs import configure_logging

    settings = hub_cli.load_settings(data)
    configure_logging(settings.log_format, settings.log_level)
    raise typer.Exit(hub_cli.run_until_signalled(_serve(settings, services)))


async def _serve(settings: HubSettings, services_file: Path) -> int:
    import asyncio

    registry = default_registry()
    definitions = load_services(services_file, registry)
    subscriptions = load_subscriptions(services_file)
    async with run_hub(
        settings, definitions, registry=registry, subscriptions=subscriptions
    ) as hub:
        out = hub_cli.out
        out.print(f"hub of region {settings.region}: {hub.http_url}  (nats {hub.nats_url}, "
                  f"store {hub.store})", highlight=False)
        for service in hub.directory:
            out.print(f"  service {service.id}: POST {hub.http_url}/services/{service.id}",
                      highlight=False)
        out.print("running; SIGTERM or Ctrl-C stops it", highlight=False)
        await asyncio.Event().wait()
    return 0  # pragma: no cover - only a signal ends the wait
