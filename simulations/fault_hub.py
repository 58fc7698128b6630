"""Run one region's hub as its own process, for fault tests that ``kill -9`` it.

The emulated departments run elsewhere (in the test process, which counts the
provider's calls); this process runs only the hub, configured from ``HUB_*``, and
prints ``ready <http url>`` once it serves. ``--crash-at POINT`` arms a crash point
(:mod:`simulations.crash_points`) before the hub starts, so the process kills itself
the ``--crash-on-reach``-th time an exchange reaches it::

    HUB_DATA=/tmp/x HUB_NATS_URL=nats://127.0.0.1:4333 HUB_HTTP_PORT=8123 \\
        .venv/bin/python -m simulations.fault_hub --ss-wsdl URL --tax URL \\
        --crash-at after-provider --crash-on-reach 6
"""

from __future__ import annotations

import argparse
import asyncio

from hub.entrypoints.serve import run_hub
from hub.settings import HubSettings
from simulations.crash_points import CRASH_POINTS, arm
from simulations.departments import DepartmentEndpoints, region_services


async def serve(settings: HubSettings, endpoints: DepartmentEndpoints) -> int:
    """Run the hub until a signal stops it."""
    async with run_hub(settings, region_services(settings.region, endpoints)) as hub:
        print(f"ready {hub.http_url}", flush=True)
        await asyncio.Event().wait()
    return 0  # pragma: no cover - only a signal ends the wait


def main() -> None:
    """Entry point: ``python -m simulations.fault_hub --ss-wsdl URL --tax URL``."""
    from hub.entrypoints.cli.common import run_until_signalled
    from hub.logs import configure_logging

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ss-wsdl", required=True, help="the social-security bureau's WSDL URL")
    parser.add_argument("--tax", required=True, help="the tax bureau's base URL")
    parser.add_argument("--crash-at", choices=CRASH_POINTS,
                        help="SIGKILL the hub at this point, once per data folder")
    parser.add_argument("--crash-on-reach", type=int, default=1, metavar="N",
                        help="the N-th time an exchange reaches the point (default 1)")
    args = parser.parse_args()
    settings = HubSettings()
    if args.crash_at is not None:
        arm(args.crash_at, settings.data, args.crash_on_reach)
    configure_logging(settings.log_format, settings.log_level)
    raise SystemExit(run_until_signalled(
        serve(settings, DepartmentEndpoints(args.ss_wsdl, args.tax))))


if __name__ == "__main__":
    main()
