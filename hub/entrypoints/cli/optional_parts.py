"""The simulations package, found at run time: an installed hub never imports emulated bureaus.

``interop-hub demo`` and ``interop-hub simulate load`` drive the hub with the emulated
departments of the ``simulations`` package. That package is an optional part of the
product, not a dependency of it: it ships in the source tree (and in the image the
compose file builds, which runs the emulated bureaus), but a hub packaged without it
serves, audits and federates the same. So the commands look the package up by name when
they run, and say how to get it when it is absent.
"""

from __future__ import annotations

import importlib
from typing import Any

from contracts.errors import HubError

SIMULATIONS = "simulations"


class SimulationsMissing(HubError):
    """Raised when a command needs the simulations package and this installation has none."""

    code = "simulations-missing"
    status = 501  # a part this installation does not have; only the CLI raises it

    def __init__(self, command: str) -> None:
        super().__init__(
            f"`interop-hub {command}` needs the simulations package (the emulated "
            "departments): install interop-hub from its source tree (pip install -e .)")
        self.command = command


def simulation(module: str, name: str, *, command: str) -> Any:
    """``simulations.<module>.<name>``, imported now; :class:`SimulationsMissing` without it.

    Only the absence of the package itself is translated: a module of a present package
    that fails to import (a bug, a missing dependency) raises as it is.
    """
    qualified = f"{SIMULATIONS}.{module}"
    try:
        found = importlib.import_module(qualified)
    except ModuleNotFoundError as exc:
        if exc.name not in (SIMULATIONS, qualified):
            raise
        raise SimulationsMissing(command) from None
    return getattr(found, name)
