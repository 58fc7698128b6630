"""The shapes of claim values in signed statements, checked exactly.

Each checker answers whether a JSON value is a well-formed value of one kind
(region code, department code, record id...). :func:`check_claims` applies a
table of them to a claims object and names the first claim that is wrong, so a
refused statement says which field broke it. Patterns are matched with
``fullmatch`` and ASCII classes: a trailing newline or a non-ASCII digit is a
different string, not the same one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from contracts.identity import REGION_CODE_PATTERN
from federation.canonical import is_digest, parse_instant

Checker = Callable[[Any], bool]

# fullmatch makes the pattern's own ^/$ anchors safe against a trailing newline.
_REGION = re.compile(REGION_CODE_PATTERN)
_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
# Versions without leading zeros: ``@01.0`` would parse as ``@1.0`` yet be another string.
_CONTRACT = re.compile(
    r"[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*@(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})"
)
_SUBJECT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_KID = re.compile(r"[A-Za-z0-9_-]{43}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MAX_TEXT = 500


def region(value: Any) -> bool:
    return isinstance(value, str) and _REGION.fullmatch(value) is not None


def department(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 63 and _NAME.fullmatch(value) is not None


def department_id(value: Any) -> bool:
    """``region/department``, as agreements name issuing departments."""
    if not isinstance(value, str):
        return False
    region_code, sep, code = value.partition("/")
    return bool(sep) and region(region_code) and department(code)


def contract(value: Any) -> bool:
    return isinstance(value, str) and _CONTRACT.fullmatch(value) is not None


def subject(value: Any) -> bool:
    return isinstance(value, str) and _SUBJECT.fullmatch(value) is not None


def kid(value: Any) -> bool:
    return isinstance(value, str) and _KID.fullmatch(value) is not None


def record_id(value: Any) -> bool:
    """A UUID in its canonical lower-case hyphenated form (what ``str(uuid.UUID(...))`` writes)."""
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


def instant(value: Any) -> bool:
    return parse_instant(value) is not None


def digest(value: Any) -> bool:
    return is_digest(value)


def text(value: Any) -> bool:
    """Free text (a reason, a detail): a string of printable length."""
    return isinstance(value, str) and 0 < len(value) <= MAX_TEXT


def optional(check: Checker) -> Checker:
    """``check``, or null."""
    return lambda value: value is None or check(value)


def one_of(*values: str) -> Checker:
    return lambda value: isinstance(value, str) and value in values


def check_claims(claims: Mapping[str, Any], spec: Mapping[str, Checker]) -> str | None:
    """None when ``claims`` has exactly ``spec``'s names, each well formed; else what is wrong."""
    if claims.keys() != spec.keys():
        return _names_problem(claims, spec)
    for name, check in spec.items():
        if not check(claims[name]):
            return f"claim {name!r} is not well formed"
    return None


def _names_problem(claims: Mapping[str, Any], spec: Mapping[str, Checker]) -> str:
    """Which names are missing and which unexpected (the names differ)."""
    missing = sorted(set(spec) - set(claims))
    extra = sorted(set(claims) - set(spec))
    parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
        [f"unexpected {', '.join(extra)}"] if extra else [])
    return "claims: " + "; ".join(parts)
