"""Every error our packages raise on purpose is rooted in HubError (STYLE rule 7)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import adapters
import contracts
import hub
import regions
from contracts.errors import HubError

# Exceptions used only as internal control flow inside one module, always caught
# before they can reach a caller; each is listed with the reason it may stay outside.
INTERNAL = {
    "adapters.xml_safety._DoctypeSeen": "prolog sniff signal, translated to MalformedInput",
    "adapters.xml_safety._PrologEnd": "prolog sniff signal, never escapes parse_xml",
    "hub.projections.runner._Overtaken": "rolls back one page when another runner got ahead",
}


def _exception_classes() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for package in (contracts, adapters, hub, regions):
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
            module = importlib.import_module(info.name)
            for name, obj in vars(module).items():
                if (inspect.isclass(obj) and issubclass(obj, BaseException)
                        and obj.__module__ == info.name):
                    found[f"{info.name}.{name}"] = obj
    return found


def test_every_public_exception_is_a_hub_error() -> None:
    """A public exception class outside the HubError tree would leak past our boundaries."""
    strays = sorted(
        name for name, cls in _exception_classes().items()
        if not issubclass(cls, HubError) and name not in INTERNAL
    )
    assert strays == [], f"not rooted in HubError (or listed as INTERNAL with a reason): {strays}"


def test_every_hub_error_has_its_own_stable_code() -> None:
    """Each HubError subclass names a code, so callers and events can tell errors apart."""
    missing = sorted(
        name for name, cls in _exception_classes().items()
        if issubclass(cls, HubError) and cls is not HubError and "code" not in vars(cls)
    )
    assert missing == [], f"HubError subclasses without their own code: {missing}"
