"""The processes of the query benchmark: the emulated bureaus, and one region's hub.

Each runs in its own process so the client, the hub and the legacy systems
compete for the machine's cores as they would in a deployment::

    python -m simulations.bench.query_servers bureaus --ready FILE
    python -m simulations.bench.query_servers hub --ready FILE --data DIR \\
        --social-security WSDL_URL --tax URL [--cases FOLDER]

Once listening, each writes a JSON object of its URLs to ``FILE`` (written to a
temporary name, then renamed, so a reader never sees half of it) and runs
until SIGTERM or SIGINT. The hub is started by ``hub.entrypoints.serve.run_hub``,
embedded nats-server included, as a deployment starts it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.entrypoints.http.asgi_server import serve_asgi
from hub.entrypoints.serve import run_hub
from hub.settings import HubSettings
from hub.work import WORK
from simulations.bench.processes import cpu_seconds, hub_processes
from simulations.departments import DepartmentEndpoints, region_services
from simulations.social_security_bureau import create_app as social_security_app
from simulations.tax_bureau import create_app as tax_app

NULL_PATH = "/null"
WORK_PATH = "/work"


def _null_app() -> Starlette:
    """An endpoint that reads the body and answers 200 empty: the loopback HTTP floor."""

    async def null(request: Request) -> Response:
        await request.body()
        return Response(b"", 200)

    return Starlette(routes=[Route(NULL_PATH, null, methods=["POST"])])


def _work_app() -> Starlette:
    """The hub process's work counters (hub.work), read by the benchmark around a round."""

    async def work(request: Request) -> Response:
        # The process's CPU time too: on a shared machine, CPU per query is the figure
        # that other processes' load does not move much.
        # Its projections' process included (hub.bootstrap.projections_process), not nats-server.
        cpu_s = await asyncio.to_thread(cpu_seconds, hub_processes(os.getpid()))
        counts = {**WORK.snapshot().as_dict(), "hub_cpu_ms": cpu_s * 1000}
        return Response(json.dumps(counts), 200, media_type="application/json")

    return Starlette(routes=[Route(WORK_PATH, work, methods=["GET"])])


def _announce(ready: Path, urls: dict[str, str]) -> None:
    partial = ready.with_suffix(".partial")
    partial.write_text(json.dumps(urls))
    partial.replace(ready)


async def serve_bureaus(ready: Path) -> None:
    """The social-security (SOAP) and tax (JSON) bureaus, and the null endpoint."""
    async with contextlib.AsyncExitStack() as stack:
        ss = await stack.enter_async_context(serve_asgi(social_security_app(), name="ss"))
        tax = await stack.enter_async_context(serve_asgi(tax_app(), name="tax"))
        null = await stack.enter_async_context(serve_asgi(_null_app(), name="null"))
        _announce(ready, {"social_security": ss, "tax": tax, "null": null})
        await asyncio.Event().wait()


async def serve_hub(ready: Path, data: Path, social_security_wsdl: str, tax: str,
                    cases: Path | None = None) -> None:
    """One region's hub (north) in front of the bureaus, through ``run_hub``; with
    ``cases``, a folder of case types, it runs them as a deployment does (``HUB_CASES``)."""
    settings = HubSettings(data=data, region="north", cases=cases)
    services = region_services(settings.region, DepartmentEndpoints(social_security_wsdl, tax))
    async with run_hub(settings, services) as hub, serve_asgi(_work_app(), name="work") as work:
        _announce(ready, {"hub": hub.http_url, "nats": hub.nats_url, "work": work})
        await asyncio.Event().wait()


def main() -> None:
    """Entry point of both processes."""
    from hub.entrypoints.cli.common import run_until_signalled
    from hub.logs import configure_logging

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("role", choices=("bureaus", "hub"))
    parser.add_argument("--ready", type=Path, required=True)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--social-security")
    parser.add_argument("--tax")
    parser.add_argument("--cases", type=Path)
    args = parser.parse_args()
    configure_logging("json", "warning")
    if args.role == "bureaus":
        coro = serve_bureaus(args.ready)
    else:
        coro = serve_hub(args.ready, args.data, args.social_security, args.tax, args.cases)
    raise SystemExit(run_until_signalled(coro))


if __name__ == "__main__":
    main()
