"""The canonical encodings signatures cover: RFC 8785 JSON, UTC instants, SHA-256 digests.

A signature is only as reproducible as the bytes under it, so every signed
payload is JCS (RFC 8785, via the ``rfc8785`` library), every instant in one is
RFC 3339 UTC to the second (``2026-01-05T08:00:00Z``), and every digest is
``sha256:`` followed by 64 lower-case hex digits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

import pydantic_core
import rfc8785

from federation.errors import CanonicalJSONError

DIGEST_PREFIX = "sha256:"
# Matched with fullmatch: ``$`` alone would let a trailing newline through.
DIGEST_PATTERN = re.compile(r"sha256:[0-9a-f]{64}")
_INSTANT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


def canonical_json(value: Any) -> bytes:
    """``value`` as RFC 8785 canonical JSON bytes.

    The ``rfc8785`` library is the authority. For the values signed statements
    and records carry — objects with ASCII keys whose leaves are strings, ints
    within ±(2**53 - 1), booleans and nulls — compact JSON of the value with its
    keys sorted is the very same bytes (the same string escapes; ASCII keys sort
    alike by code point and by UTF-16 unit), so those are copied with sorted keys
    and written by pydantic-core's serializer, several times faster than either
    ``rfc8785`` or ``json.dumps``; anything else (floats, other keys, big ints)
    goes to ``rfc8785``. ``tests/unit/test_regions_canonical.py`` holds them equal.
    """
    ordered = _sorted_plain(value, 0)
    if ordered is not _NOT_PLAIN:
        try:
            return pydantic_core.to_json(ordered)
        except pydantic_core.PydanticSerializationError as exc:  # a lone surrogate: no UTF-8
            raise CanonicalJSONError(f"no canonical JSON form: {exc}") from None
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, AttributeError, UnicodeError) as exc:
        raise CanonicalJSONError(f"no canonical JSON form: {exc}") from None


_SAFE_INT = 2**53 - 1
_MAX_DEPTH = 32
_NOT_PLAIN = object()


def _sorted_plain(value: Any, depth: int) -> Any:
    """``value`` with every object's keys in sorted order, or ``_NOT_PLAIN`` when it is
    outside the domain where compact sorted JSON and RFC 8785 agree.

    Loops rather than generators, and leaves checked in place: every signed
    payload and every ingested record's content passes through here.
    """
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return value
    if kind is int:
        return value if -_SAFE_INT <= value <= _SAFE_INT else _NOT_PLAIN
    if depth >= _MAX_DEPTH:
        return _NOT_PLAIN
    if kind is dict:
        try:
            keys = sorted(value)
        except TypeError:  # keys of several types
            return _NOT_PLAIN
        ordered = {}
        for key in keys:
            if type(key) is not str or not key.isascii():
                return _NOT_PLAIN
            item = value[key]
            leaf = type(item)
            if not (leaf is str or item is None or leaf is bool):
                item = _sorted_plain(item, depth + 1)
                if item is _NOT_PLAIN:
                    return _NOT_PLAIN
            ordered[key] = item
        return ordered if len(ordered) == len(value) else _NOT_PLAIN
    if kind is list:
        items = []
        for item in value:
            leaf = type(item)
            if not (leaf is str or item is None or leaf is bool):
                item = _sorted_plain(item, depth + 1)
                if item is _NOT_PLAIN:
                    return _NOT_PLAIN
            items.append(item)
        return items
    return _NOT_PLAIN


def digest(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``."""
    return DIGEST_PREFIX + hashlib.sha256(data).hexdigest()


def digest_json(value: Any) -> str:
    """The digest of ``value``'s canonical JSON."""
    return digest(canonical_json(value))


def parse_canonical_object(data: bytes) -> dict[str, Any] | None:
    """The JSON object ``data`` encodes, only if ``data`` is exactly its canonical form.

    Returns None otherwise — other key order, whitespace, escapes, duplicate keys
    (the parsed object keeps one, so its canonical form differs), non-finite or
    float numbers: any second spelling of the same claims is refused, so one set
    of claims has exactly one signed form.
    """
    # pydantic-core parses ~4x faster than json.loads; where they differ (a lone surrogate
    # escape, which pydantic-core refuses) the result would be refused below anyway.
    try:
        value = pydantic_core.from_json(data)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict):
        return None
    try:
        if canonical_json(value) != data:
            return None
    except CanonicalJSONError:
        return None
    return value


def instant(moment: dt.datetime) -> str:
    """``moment`` as RFC 3339 UTC to the second; naive datetimes are refused."""
    if moment.tzinfo is None:
        raise CanonicalJSONError(f"{moment!r} has no time zone; instants are absolute")
    utc = moment.astimezone(dt.UTC)
    return (f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
            f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z")


def parse_instant(text: object) -> dt.datetime | None:
    """The instant ``text`` names, or None when it is not exactly our RFC 3339 UTC form."""
    if not isinstance(text, str) or not _INSTANT.fullmatch(text):
        return None
    # The layout is checked above; fromisoformat (C, reads "Z" as UTC since Python 3.11) then
    # only checks the calendar, several times faster than slicing, which the recognition
    # path feels.
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def truncate(moment: dt.datetime) -> dt.datetime:
    """``moment`` in UTC to the second, as it will read back from a signed payload."""
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def is_digest(text: object) -> bool:
    """Whether ``text`` is a ``sha256:<64 hex>`` digest."""
    return isinstance(text, str) and DIGEST_PATTERN.fullmatch(text) is not None
