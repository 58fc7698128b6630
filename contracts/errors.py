"""The root of interop-hub's error tree and the field issue every error can carry.

It lives in ``contracts`` because this is the innermost package: adapters and the
hub both raise errors rooted here, and contracts import nothing of ours.
The whole tree is drawn in :mod:`hub.errors`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class FieldIssue:
    """One precise problem with an input: where it is, which field, and why.

    ``path`` is where in the *input* the problem is (an XPath-like path for XML,
    a JSON Pointer for JSON, ``$`` for the whole document); ``field`` is the
    contract field concerned, when there is one; ``code`` is a stable,
    machine-readable reason (``missing``, ``type``, ``pattern``, ``malformed``...).
    """

    path: str
    reason: str
    code: str
    field: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)


class HubError(Exception):
    """Root of every error interop-hub raises on purpose.

    ``code`` is a stable identifier for callers and events; ``issues`` lists the
    field-level problems, if any. ``status`` is the HTTP status an ingress answers
    with: every branch of the tree sets its own (4xx for what the caller must fix,
    5xx for what failed here); the root's 500 says "the hub itself failed".
    ``retryable`` says whether the very same request may succeed later (the store was
    busy, the provider did not answer in time): the delivery worker tries again only
    then, and an HTTP answer then says when (``Retry-After``). A refusal is not.
    """

    code = "hub-error"
    status = 500
    retryable: bool = False

    def __init__(self, message: str, *, issues: tuple[FieldIssue, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.issues = tuple(issues)


class ContractError(HubError):
    """Raised when data does not satisfy a contract (wrong type, missing field, bad value)."""

    code = "contract-violation"
    status = 422

    def __init__(self, contract: str, message: str, *, issues: tuple[FieldIssue, ...] = ()) -> None:
        super().__init__(f"{contract}: {message}", issues=issues)
        self.contract = contract
