"""A bounded, strict JSON reader: RFC 8259 only, and never more than the configured limits.

``json.loads`` alone accepts what two parsers may read differently (duplicate
keys: the last wins), what JSON does not allow (``NaN``, ``Infinity``,
UTF-16/32 detected from the first bytes), numbers that overflow to ``inf``
(``1e999999``) or past Python's integer-string limit (a ``ValueError``, not a
refusal), and nesting deep enough to raise ``RecursionError``. So
:func:`read_json` checks the bytes first (size, UTF-8 without BOM), lets
``json.loads`` parse at C speed with hooks that never raise but mark what is
wrong (a repeated key, a non-finite or over-long number), and then walks the
result once, iteratively (no recursion), checking depth, container sizes,
string lengths, lone surrogates and the marks. Nesting too deep for the C
parser's own recursion guard is refused too, and a linear token scan then finds
its byte offset. Each refusal is a :class:`JsonRefused` with a stable code,
where it was found (a JSON Pointer, or a byte offset) and the limit it broke.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from contracts.errors import FieldIssue
from translation.errors import MalformedInput, PayloadTooLarge


@dataclass(frozen=True)
class JsonLimits:
    """What one JSON document may hold; every JSON ingress reads with these."""

    max_bytes: int = 10 * 1024 * 1024  # HUB_MAX_PAYLOAD_BYTES's default; the ingress cap is first
    max_depth: int = 64
    max_number_length: int = 64  # characters of one number token, sign and exponent included
    max_string_length: int = 65_536  # characters of one string or key, once read
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


# The byte-offset locator for nesting too deep to parse: a token at a time, strings skipped
# whole. Possessive quantifiers keep an unterminated string linear.
_TOKEN = re.compile(r'"(?:[^"\\]++|\\.)*+"|[\[\]{}]', re.S)
_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\xef\xbb\xbf", "UTF-8 with a byte order mark"),
    (b"\xfe\xff", "UTF-16"), (b"\xff\xfe", "UTF-16"),
)
_LOCATE_MAX_CHARS = 1_048_576  # beyond this, a too-deep refusal names no offset (bounded work)


class _Mark:
    """What a parser hook found wrong, left in the value for the walk to place and refuse."""

    __slots__ = ("error", "reason")

    def __init__(self, error: type[JsonRefused], reason: str) -> None:
        self.error = error
        self.reason = reason


def read_json(raw: bytes, limits: JsonLimits = DEFAULT_LIMITS) -> Any:
    """The JSON value of ``raw``, or a :class:`JsonRefused` (or PayloadTooLarge) naming why."""
    if len(raw) > limits.max_bytes:
        raise PayloadTooLarge(len(raw), limits.max_bytes)
    text = _utf8_text(raw)
    marks: list[_Mark] = []  # what the hooks found wrong in this document
    try:
        value = json.loads(
            text,
            object_pairs_hook=functools.partial(_members, marks),
            parse_constant=functools.partial(_constant, marks),
            parse_int=functools.partial(_integer, marks, limits.max_number_length),
            parse_float=functools.partial(_float, marks, limits.max_number_length),
        )
    except json.JSONDecodeError as exc:
        raise JsonInvalid(f"{exc.msg} (line {exc.lineno}, column {exc.colno})",
                          offset=_byte_offset(text, exc.pos)) from None
    except RecursionError:
        raise JsonTooDeep(f"nesting deeper than {limits.max_depth} levels",
                          offset=_deep_offset(text, limits.max_depth)) from None
    except ValueError as exc:  # e.g. an integer past Python's digit limit, if limits allow one
        raise JsonNumberTooLong(f"a number Python cannot read ({exc})") from None
    if marks or not _within_limits_by_size(text, limits):
        _walk(value, limits)
    return value


def _within_limits_by_size(text: str, limits: JsonLimits) -> bool:
    """Whether ``text`` is too small to break a limit the walk checks, so it need not run.

    No string is longer than the text; no container holds more members than the text
    has commas plus one, nor nests deeper than it has opening brackets; a lone
    surrogate needs a ``\\uD800``-``\\uDFFF`` escape (UTF-8 decoding refused any other).
    Counting in C costs a few µs where the walk costs tens for a 2 KB record.
    """
    return (len(text) <= limits.max_string_length
            and text.count(",") < min(limits.max_object_members, limits.max_array_items)
            and text.count("{") + text.count("[") <= limits.max_depth
            and _SURROGATE_ESCAPE.search(text) is None)


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


def _members(marks: list[_Mark], pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) == len(pairs):
        return members
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            mark = _Mark(JsonDuplicateKey, f"the key {key[:64]!r} appears twice in one object")
            return {key: _noted(marks, mark)}  # the walk refuses it at this object's path
        seen.add(key)
    return members  # unreachable: a shorter dict means a repeated key


def _constant(marks: list[_Mark], token: str) -> _Mark:
    return _noted(marks, _Mark(JsonNonFinite, f"{token} is not a JSON number (RFC 8259 §6)"))


def _integer(marks: list[_Mark], limit: int, token: str) -> int | _Mark:
    if len(token) > limit:
        return _noted(marks, _too_long(token, limit))
    return int(token)


def _float(marks: list[_Mark], limit: int, token: str) -> float | _Mark:
    if len(token) > limit:
        return _noted(marks, _too_long(token, limit))
    value = float(token)
    if not math.isfinite(value):
        return _noted(marks, _Mark(JsonNonFinite, f"{token} overflows to infinity"))
    return value


def _noted(marks: list[_Mark], mark: _Mark) -> _Mark:
    marks.append(mark)
    return mark


def _too_long(token: str, limit: int) -> _Mark:
    return _Mark(JsonNumberTooLong,
                 f"a number of {len(token)} characters ({token[:12]}…); the limit is {limit}")


def _walk(value: Any, limits: JsonLimits) -> None:
    """Every container once, without recursion: depth, sizes, strings and the hooks' marks.

    Paths are JSON Pointers (``$`` for the whole document), built only for what is
    looked at again: containers, marks, and strings that are long or not ASCII.
    """
    longest = limits.max_string_length
    pending: list[tuple[Any, int, str]] = [(value, 0, "")]
    while pending:
        node, depth, path = pending.pop()
        if isinstance(node, dict):
            items: Any = node.items()
            _check_container(path, depth + 1, len(node), limits.max_object_members, "object",
                             JsonObjectTooLarge, limits)
        elif isinstance(node, list):
            items = enumerate(node)
            _check_container(path, depth + 1, len(node), limits.max_array_items, "array",
                             JsonArrayTooLarge, limits)
        else:
            _check_scalar(node, path or "$", limits)
            continue
        for key, child in items:
            if key.__class__ is str and (len(key) > longest or not key.isascii()):
                _check_string(key, f"{path}/{_pointer(key)}", limits)
            if isinstance(child, (dict, list, _Mark)) or (
                    child.__class__ is str and (len(child) > longest or not child.isascii())):
                pending.append((child, depth + 1, f"{path}/{_pointer(key)}"))


def _check_container(path: str, depth: int, size: int, limit: int, kind: str,
                     error: type[JsonRefused], limits: JsonLimits) -> None:
    if depth > limits.max_depth:
        raise JsonTooDeep(f"nesting deeper than {limits.max_depth} levels", path=path or "$")
    if size > limit:
        noun = "members" if kind == "object" else "items"
        raise error(f"an {kind} with {size} {noun}; the limit is {limit}", path=path or "$")


def _check_scalar(node: Any, path: str, limits: JsonLimits) -> None:
    if isinstance(node, _Mark):
        raise node.error(node.reason, path=path)
    if isinstance(node, str):
        _check_string(node, path, limits)


def _check_string(text: str, path: str, limits: JsonLimits) -> None:
    if len(text) > limits.max_string_length:
        raise JsonStringTooLong(
            f"a string of {len(text)} characters; the limit is {limits.max_string_length}",
            path=path)
    if not text.isascii() and _SURROGATE.search(text):
        raise JsonInvalid("a \\u escape names a lone UTF-16 surrogate, which is no character",
                          path=path)


def _deep_offset(text: str, max_depth: int) -> int | None:
    """Where nesting first goes deeper than ``max_depth`` (None for a very long text)."""
    if len(text) > _LOCATE_MAX_CHARS:
        return None
    depth = 0
    for match in _TOKEN.finditer(text):
        char = match.group()[0]
        if char in "[{":
            depth += 1
            if depth > max_depth:
                return _byte_offset(text, match.start())
        elif char in "]}":
            depth -= 1
    return None


def _pointer(key: str | int) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))
