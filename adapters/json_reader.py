"""A bounded, strict JSON reader: RFC 8259 only, and never more than the configured limits.

``json.loads`` alone accepts what two parsers may read differently (duplicate
keys: the last wins), what JSON does not allow (``NaN``, ``Infinity``,
UTF-16/32 detected from the first bytes), numbers that overflow to ``inf``
(``1e999999``) or past Python's integer-string limit (a ``ValueError``, not a
refusal), and nesting deep enough to exhaust the C stack. So :func:`read_json`
first scans the text once, linearly and without recursion, counting nesting,
container sizes and token lengths outside strings; only a document within every
limit reaches ``json.loads``, whose hooks then refuse duplicate keys and
non-finite numbers. Each refusal is a :class:`JsonRefused` with a stable code,
the byte offset (or key) where it was found, and the limit it broke.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from adapters.errors import MalformedInput, PayloadTooLarge
from contracts.errors import FieldIssue


@dataclass(frozen=True)
class JsonLimits:
    """What one JSON document may hold; every JSON ingress reads with these."""

    max_bytes: int = 10 * 1024 * 1024  # HUB_MAX_PAYLOAD_BYTES's default; the ingress cap is first
    max_depth: int = 64
    max_number_length: int = 64  # characters of one number token, sign and exponent included
    max_string_length: int = 65_536  # characters of one string as written, quotes excluded
    max_array_items: int = 10_000
    max_object_members: int = 1_000


DEFAULT_LIMITS = JsonLimits()


class JsonRefused(MalformedInput):
    """Raised when a JSON document breaks RFC 8259 or a limit; ``code`` says which rule."""

    code = "json-refused"
    status = 400

    def __init__(self, reason: str, *, offset: int | None = None, path: str = "$") -> None:
        where = f" at byte {offset}" if offset is not None else ""
        super().__init__(
            f"JSON refused{where}: {reason}",
            issues=(FieldIssue(path=path if offset is None else f"byte {offset}",
                               reason=reason, code=self.code),),
        )
        self.offset = offset


class JsonInvalid(JsonRefused):
    """Raised when the text is not JSON (syntax, trailing comma, comment, bad escape)."""

    code = "json-invalid"


class JsonNotUtf8(JsonRefused):
    """Raised when the bytes are not UTF-8, or start with a byte order mark (RFC 8259 §8.1)."""

    code = "json-not-utf8"


class JsonTooDeep(JsonRefused):
    """Raised when arrays and objects nest deeper than the limit."""

    code = "json-too-deep"


class JsonNumberTooLong(JsonRefused):
    """Raised when one number is written with more characters than the limit."""

    code = "json-number-too-long"


class JsonStringTooLong(JsonRefused):
    """Raised when one string (or key) is longer than the limit."""

    code = "json-string-too-long"


class JsonArrayTooLarge(JsonRefused):
    """Raised when one array holds more items than the limit."""

    code = "json-array-too-large"


class JsonObjectTooLarge(JsonRefused):
    """Raised when one object holds more members than the limit."""

    code = "json-object-too-large"


class JsonDuplicateKey(JsonRefused):
    """Raised when an object names the same key twice (parsers disagree on which wins)."""

    code = "json-duplicate-key"


class JsonNonFinite(JsonRefused):
    """Raised for ``NaN``, ``Infinity``, ``-Infinity`` or a number that overflows to infinity."""

    code = "json-non-finite"


# One token of interest per match: a string, a bracket, a comma, a number or a bare word.
# Possessive quantifiers keep an unterminated string linear.
_TOKEN = re.compile(
    r'"(?:[^"\\]++|\\.)*+"|[\[\]{},]|-?[0-9][0-9.eE+\-]*+|-?[A-Za-z_][A-Za-z0-9_]*+', re.S
)
_LONE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\xef\xbb\xbf", "UTF-8 with a byte order mark"),
    (b"\xfe\xff", "UTF-16"), (b"\xff\xfe", "UTF-16"),
)
_WORDS = frozenset({"true", "false", "null"})


def read_json(raw: bytes, limits: JsonLimits = DEFAULT_LIMITS) -> Any:
    """The JSON value of ``raw``, or a :class:`JsonRefused` (or PayloadTooLarge) naming why."""
    if len(raw) > limits.max_bytes:
        raise PayloadTooLarge(len(raw), limits.max_bytes)
    text = _utf8_text(raw)
    _scan(text, limits)
    try:
        return json.loads(
            text,
            object_pairs_hook=_unique_members,
            parse_constant=_non_finite,
            parse_float=_finite_float,
        )
    except JsonRefused:
        raise
    except json.JSONDecodeError as exc:
        raise JsonInvalid(f"{exc.msg} (line {exc.lineno}, column {exc.colno})",
                          offset=_byte_offset(text, exc.pos)) from None
    except (ValueError, RecursionError) as exc:  # belt and braces behind the scan's limits
        raise JsonInvalid(f"unreadable value: {type(exc).__name__}") from None


def _utf8_text(raw: bytes) -> str:
    for bom, name in _BOMS:
        if raw.startswith(bom):
            raise JsonNotUtf8(f"the body starts with a {name} byte order mark; send UTF-8 "
                              "without one", offset=0)
    if len(raw) >= 2 and (raw[0] == 0 or raw[1] == 0):  # RFC 4627 §3: UTF-16/32 without BOM
        raise JsonNotUtf8("the body looks like UTF-16 or UTF-32 (NUL in its first bytes); "
                          "send UTF-8", offset=0 if raw[0] == 0 else 1)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonNotUtf8(f"invalid UTF-8 ({exc.reason})", offset=exc.start) from None


def _scan(text: str, limits: JsonLimits) -> None:
    """One linear pass: nesting depth, container sizes, token lengths, forbidden words."""
    stack: list[list[int]] = []  # per open container: [is_object, commas]
    for match in _TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first == '"':
            _check_string(text, match.start(), token, limits)
        elif first in "[{":
            stack.append([first == "{", 0])
            if len(stack) > limits.max_depth:
                raise JsonTooDeep(f"nesting deeper than {limits.max_depth} levels",
                                  offset=_byte_offset(text, match.start()))
        elif first in "]}":
            if stack:
                stack.pop()
        elif first == ",":
            if stack:
                _count_comma(text, match.start(), stack[-1], limits)
        else:
            _check_bare(text, match.start(), token, limits)


def _check_string(text: str, start: int, token: str, limits: JsonLimits) -> None:
    if len(token) - 2 > limits.max_string_length:
        raise JsonStringTooLong(
            f"a string of {len(token) - 2} characters; the limit is {limits.max_string_length}",
            offset=_byte_offset(text, start))
    if "\\u" in token and _LONE_SURROGATE.search(token):
        try:
            json.loads(token).encode("utf-8")
        except UnicodeEncodeError:
            raise JsonInvalid("a \\u escape names a lone UTF-16 surrogate, which is no character",
                              offset=_byte_offset(text, start)) from None
        except ValueError:
            pass  # not a string json.loads accepts: the full parse names the syntax error


def _count_comma(text: str, start: int, top: list[int], limits: JsonLimits) -> None:
    top[1] += 1
    is_object, items = top[0], top[1] + 1
    limit = limits.max_object_members if is_object else limits.max_array_items
    if items > limit:
        kind, error = ("object", JsonObjectTooLarge) if is_object else ("array", JsonArrayTooLarge)
        raise error(f"an {kind} with more than {limit} {'members' if is_object else 'items'}",
                    offset=_byte_offset(text, start))


def _check_bare(text: str, start: int, token: str, limits: JsonLimits) -> None:
    """Numbers and words outside strings: length, and RFC 8259's lack of non-finite numbers."""
    word = token.lstrip("-")
    if word[0].isdigit():
        if len(token) > limits.max_number_length:
            raise JsonNumberTooLong(
                f"a number of {len(token)} characters; the limit is {limits.max_number_length}",
                offset=_byte_offset(text, start))
        return
    if word in ("NaN", "Infinity"):
        raise JsonNonFinite(f"{token} is not a JSON number (RFC 8259 §6)",
                            offset=_byte_offset(text, start))
    if token not in _WORDS and len(token) > limits.max_number_length:
        raise JsonInvalid(f"a bare word of {len(token)} characters",
                          offset=_byte_offset(text, start))


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members: dict[str, Any] = {}
    for key, value in pairs:
        if key in members:
            raise JsonDuplicateKey(f"the key {key[:64]!r} appears twice in one object",
                                   path=f"key:{key[:64]}")
        members[key] = value
    return members


def _non_finite(token: str) -> float:
    raise JsonNonFinite(f"{token} is not a JSON number (RFC 8259 §6)")


def _finite_float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise JsonNonFinite(f"{token[:64]} overflows to infinity")
    return value


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))
