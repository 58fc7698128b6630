"""Every error our packages raise on purpose is rooted in HubError.

One root, so callers can catch the hub's errors and nothing else.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import contracts
import federation
import hub
import hub.errors
import translation
from contracts.errors import HubError

# Exceptions used only as internal control flow inside one module, always caught
# before they can reach a caller; each is listed with the reason it may stay outside.
INTERNAL = {
    "translation.xml_safety._DoctypeSeen": "prolog sniff signal, translated to MalformedInput",
    "translation.xml_safety._PrologEnd": "prolog sniff signal, never escapes parse_xml",
    "hub.adapters.projections.runner._Overtaken": "rolls back a page when another runner got ahead",
}


def _exception_classes() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for package in (contracts, translation, hub, federation):
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


def test_every_hub_error_has_a_chosen_http_status() -> None:
    """The HTTP status lives on the error classes: each branch chooses one, none falls to a
    default by being forgotten (the root's 500 counts only for the root itself)."""
    classes = {n: c for n, c in _exception_classes().items()
               if issubclass(c, HubError) and c is not HubError}
    unchosen = sorted(
        name for name, cls in classes.items()
        if not any("status" in vars(k) for k in cls.__mro__ if k is not HubError)
    )
    assert unchosen == [], f"HubError subclasses that never choose an HTTP status: {unchosen}"
    wrong = sorted(n for n, c in classes.items() if not 400 <= c.status <= 599)
    assert wrong == [], f"statuses outside 4xx/5xx: {wrong}"


def test_one_code_one_status_and_retryability() -> None:
    """A code names one status and is retryable or not, so an answer that crossed the bus
    (code only) is answered and judged as the error that was raised."""
    seen: dict[str, set[tuple[int, bool]]] = {}
    for cls in _exception_classes().values():
        if issubclass(cls, HubError):
            seen.setdefault(cls.code, set()).add((cls.status, cls.retryable))
    assert {c: s for c, s in seen.items() if len(s) > 1} == {}


def test_status_of_a_code_comes_from_its_class() -> None:
    """Codes once missing from the status table (and answered 502) have their class's status."""
    from hub.errors import status_of
    from hub.service_layer.notifications.errors import UnsubscribableContractError
    from hub.service_layer.security.refusals import PurposeDefinitionError

    _exception_classes()  # every module imported, as in a running hub
    assert status_of("unknown-contract") == 404
    assert status_of(UnsubscribableContractError.code) == 404
    assert status_of("json-too-deep") == 400
    assert status_of("unsupported-media-type") == 415
    assert status_of("store-unavailable") == 503
    assert status_of("timeout") == 504
    assert status_of("provider-fault") == 502
    assert status_of(PurposeDefinitionError.code) == 500
    assert status_of("no-such-code-anywhere") == 500


def test_the_drawing_in_hub_errors_names_every_hub_error() -> None:
    """hub/errors.py draws the whole tree: a HubError subclass missing from the picture
    is one a reader of the tree would not know exists."""
    drawn = set(re.findall(r"\b[A-Z]\w+\b", hub.errors.__doc__ or ""))
    missing = sorted(
        name for name, cls in _exception_classes().items()
        if issubclass(cls, HubError) and cls.__name__ not in drawn
    )
    assert missing == [], f"HubError subclasses missing from hub/errors.py's drawing: {missing}"


def test_every_hub_error_says_whether_it_is_retryable() -> None:
    """Retryability is a class attribute like the status, and agrees with it: a retryable
    error never answers with a 4xx that asks the caller to change the request (only 408,
    425 and 429 say "later"), and every 503 ("temporarily unavailable") is retryable."""
    classes = {n: c for n, c in _exception_classes().items() if issubclass(c, HubError)}
    not_bool = sorted(n for n, c in classes.items() if not isinstance(c.retryable, bool))
    assert not_bool == [], f"retryable is not a bool on: {not_bool}"
    later = {408, 425, 429}
    refusing = sorted(n for n, c in classes.items()
                      if c.retryable and c.status < 500 and c.status not in later)
    assert refusing == [], f"retryable yet answered as the caller's fault: {refusing}"
    unavailable = sorted(n for n, c in classes.items() if c.status == 503 and not c.retryable)
    assert unavailable == [], f"503 but not retryable: {unavailable}"


def test_retryable_of_a_code_comes_from_its_class() -> None:
    """The store, the bus and a silent provider may answer later; a refusal never does."""
    from hub.errors import retryable_of

    _exception_classes()  # every module imported, as in a running hub
    assert retryable_of("store-unavailable") is True
    assert retryable_of("provider-unavailable") is True
    assert retryable_of("timeout") is True
    assert retryable_of("ingest-store") is True
    assert retryable_of("provider-fault") is False  # the class's default; instances decide
    assert retryable_of("access-denied") is False
    assert retryable_of("contract-violation") is False
    assert retryable_of("no-such-code-anywhere") is False


def test_retry_after_follows_retryability_not_one_status() -> None:
    """An HTTP answer says when to try again exactly when the error's class is retryable."""
    from hub.entrypoints.http.problems import problem_headers

    def headers(code: str) -> dict[str, str]:
        return problem_headers(code, exchange_id=None, correlation_id=None)

    assert "Retry-After" in headers("store-unavailable")  # 503
    assert "Retry-After" in headers("provider-unavailable")  # 502
    assert "Retry-After" in headers("timeout")  # 504
    assert "Retry-After" not in headers("provider-fault")
    assert "Retry-After" not in headers("internal-error")
    assert "Retry-After" not in headers("access-denied")
    assert "WWW-Authenticate" in headers("missing-credentials")
