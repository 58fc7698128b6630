"""``interop-hub serve``: run one region's hub with the services a services file declares.

This is the production entry point. ``--workers N`` runs N hub processes on one
listening socket, sharing the store and one NATS server (see
:mod:`hub.entrypoints.cli.workers`); several ``serve`` processes (or hosts) against
the same PostgreSQL store and NATS cluster share a region the same way, one of
them relaying by lease. On SQLite one hub (or pool of workers) runs per data
folder: a second is refused, naming the first one's pid. Everything else comes from the ``HUB_*``
settings: ``HUB_STORE`` for PostgreSQL, ``HUB_NATS_URL`` for an external NATS
cluster (else an embedded ``nats-server`` is started), ``HUB_HTTP_HOST`` and
``HUB_HTTP_PORT`` for the listener.
It runs until SIGINT or SIGTERM, then drains and stops in order.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated

import typer

from contracts import default_registry

# ``cli`` imports this module while it loads; its names are read only when a command runs.
from hub.entrypoints.cli import common as hub_cli
from hub.entrypoints.http.connection_share import ConnectionShare
from hub.entrypoints.http.pool_listener import PoolListener
from hub.service_layer.documents.policy import DocumentPolicy, load_document_policies
from hub.service_layer.exchanges.routing import load_services
from hub.service_layer.notifications.subscriptions import load_subscriptions
from hub.settings import HubSettings

ServicesArgument = Annotated[
    Path,
    typer.Argument(
        help=r"The services file (\[\[service]] and \[\[subscription]] tables)",
        exists=True, dir_okay=False, readable=True, show_default=False,
    ),
]


WorkersOption = Annotated[
    int,
    typer.Option(
        "--workers", min=1, max=64,
        help="Hub processes sharing this region, its store and one HTTP socket; exactly one "
        "worker relays, by lease. Without HUB_NATS_URL this process runs the embedded "
        "nats-server for all of them. SQLite: one hub (or pool) per data folder, a second "
        "is refused with the first's pid.",
    ),
]
# Set by `serve --workers N` for its worker processes: the inherited listening socket, the
# inherited table of connections per worker and this worker's slot in it.
ListenFdOption = Annotated[int | None, typer.Option("--listen-fd", hidden=True)]
ShareFdOption = Annotated[int | None, typer.Option("--share-fd", hidden=True)]
SlotOption = Annotated[int, typer.Option("--slot", hidden=True)]


def serve(services: ServicesArgument, data: hub_cli.DataOption = None,
          workers: WorkersOption = 1, listen_fd: ListenFdOption = None,
          share_fd: ShareFdOption = None, slot: SlotOption = 0) -> None:
    """Run the hub with SERVICES until SIGINT/SIGTERM; print where it listens."""
    from hub.logs import configure_logging

    if (listen_fd is None) != (share_fd is None):
        raise typer.BadParameter("a pool worker needs both --listen-fd and --share-fd "
                                 "(only `serve --workers N` passes them)",
                                 param_hint="--listen-fd/--share-fd")
    settings = hub_cli.load_settings(data)
    configure_logging(settings.log_format, settings.log_level)
    if workers > 1:
        from hub.entrypoints.cli.workers import run_workers

        raise typer.Exit(hub_cli.run_until_signalled(run_workers(settings, services, workers)))
    listener = None
    if listen_fd is not None and share_fd is not None:
        listener = PoolListener(socket.socket(fileno=listen_fd), ConnectionShare(share_fd, slot))
    raise typer.Exit(hub_cli.run_until_signalled(_serve(settings, services, listener)))


async def _serve(settings: HubSettings, services_file: Path,
                 listener: PoolListener | None) -> int:
    import asyncio

    # Imported when a hub starts, not when the command line loads: the HTTP stack and
    # everything it serves cost every other command about 0.7 s of start-up.
    from hub.entrypoints.serve import run_hub

    registry = default_registry()
    definitions = load_services(services_file, registry)
    subscriptions = load_subscriptions(services_file)
    async with run_hub(
        settings, definitions, registry=registry, subscriptions=subscriptions,
        listener=listener, document_policies=load_document_policies(
            services_file, DocumentPolicy(max_bytes=settings.document_max_bytes)),
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
