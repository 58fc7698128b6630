"""The correlation id a caller names for its request, checked at the door.

A caller may name its request (HTTP ``X-Correlation-Id``, the SOAP
``correlationId`` header, NATS ``Hub-Correlation-Id``, a peer's
``Correlation-Id``) so that it can find it again in its own logs and in
ours: the id is recorded on the exchange and echoed in the answer. It is the
caller's text landing in events and logs, so it is held to what an id needs:
1 to :data:`MAX_LENGTH` visible ASCII characters (no spaces, no control
characters). Anything else is refused with ``bad-correlation-id`` naming the
header and why, rather than stored as it came. A request naming none gets a
fresh UUID.
"""

from __future__ import annotations

import re
import uuid

from contracts.errors import FieldIssue, HubError

MAX_LENGTH = 128
_VALID = re.compile(rf"[\x21-\x7e]{{1,{MAX_LENGTH}}}")


class BadCorrelationId(HubError):
    """A correlation id the hub will not record: too long, or not visible ASCII."""

    code = "bad-correlation-id"
    status = 400

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(
            f"{path}: {reason}",
            issues=(FieldIssue(path=path, reason=reason, code=self.code, field="correlation_id"),),
        )


def checked_correlation(value: str | None, *, path: str) -> str:
    """``value`` when it is a usable id, a fresh UUID when absent; else BadCorrelationId.

    ``path`` names where the caller put it (``header:X-Correlation-Id``, say).
    """
    if not value:
        return str(uuid.uuid4())
    problem = _problem(value)
    if problem:
        raise BadCorrelationId(path, problem)
    return value


def correlation_or_new(value: str | None) -> str:
    """``value`` when it is a usable id, else a fresh UUID (for answering a refusal)."""
    return value if value and not _problem(value) else str(uuid.uuid4())


def _problem(value: str) -> str:
    if len(value) > MAX_LENGTH:
        return f"a correlation id has at most {MAX_LENGTH} characters, not {len(value)}"
    if not _VALID.fullmatch(value):
        return "a correlation id is visible ASCII only (no spaces or control characters)"
    return ""
