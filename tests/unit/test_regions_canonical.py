"""Canonical encodings: JCS equal to the rfc8785 library, strict parsing, RFC 3339 instants."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
import rfc8785

from federation.canonical import canonical_json, instant, parse_canonical_object, parse_instant
from federation.errors import CanonicalJSONError

_CHARS = ['a', 'Z', '"', '\\', '\b', '\f', '\n', '\r', '\t', '\x00', '\x1f', '\x7f', 'é', '€',
          '\u2028', '\ufeff', '\U0001f600', '\ue000', '/', '<']


def _value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.3:
        return "".join(rng.choice(_CHARS) for _ in range(rng.randint(0, 6)))
    if roll < 0.4:
        return rng.choice([None, True, False, 2**53 - 1, -(2**53) + 1, 2**53, 0.5, 1e21])
    if roll < 0.5:
        return rng.randint(-(2**60), 2**60)
    if roll < 0.7:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    keys = ["".join(rng.choice(_CHARS if rng.random() < 0.3 else "abXY_-")
                    for _ in range(rng.randint(0, 5))) for _ in range(rng.randint(0, 5))]
    return {key: _value(rng, depth + 1) for key in keys}


def _outcome(function: Any, value: Any) -> bytes | str:
    try:
        return bytes(function(value))
    except (CanonicalJSONError, rfc8785.CanonicalizationError, UnicodeError):
        return "error"


def test_canonical_json_equals_rfc8785_on_varied_values() -> None:
    """Over 5,000 generated values (escapes, astral keys, big ints, floats) both agree."""
    rng = random.Random(8785)
    for _ in range(5000):
        value = _value(rng)
        assert _outcome(canonical_json, value) == _outcome(rfc8785.dumps, value), repr(value)


def test_canonical_json_equals_rfc8785_on_every_character() -> None:
    """Every non-surrogate code point, escaped or not, as a value and inside a nested object
    with keys out of order (the fast path's serializer against the reference)."""
    text = "".join(chr(cp) for cp in range(0x110000) if not 0xD800 <= cp < 0xE000)
    for start in range(0, len(text), 4096):
        chunk = text[start:start + 4096]
        value = {"z": [chunk, 2**53 - 1, None], "a": {"y": True, "b": chunk[::-1]}}
        assert canonical_json(value) == rfc8785.dumps(value)


def test_rfc8785_reference_example() -> None:
    """RFC 8785 §3.2.2's sorting example serialises to its canonical bytes."""
    value = {"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet",
             "1": "One", "\U0001f600": "Emoji: Grinning Face", "\x80": "Control",
             "\u00f6": "Latin Small Letter O With Diaeresis"}
    expected = rfc8785.dumps(value)
    assert canonical_json(value) == expected
    assert expected.startswith(b'{"\\r":"Carriage Return","1":"One"')


@pytest.mark.parametrize(
    "text",
    [
        b'{"b":1,"a":2}',  # key order
        b'{"a": 2}',  # whitespace
        b'{"a":2,"a":2}',  # duplicate key
        b'{"a":"\\u0041"}',  # needless escape
        b'{"a":1.0}',  # float
        b'{"a":NaN}',
        b'["a"]',  # not an object
        b'{"a":2}\n',
    ],
)
def test_only_the_canonical_spelling_parses(text: bytes) -> None:
    """Any second spelling of the same claims is refused."""
    assert parse_canonical_object(text) is None


def test_canonical_object_parses() -> None:
    """The canonical spelling parses to its object."""
    assert parse_canonical_object(b'{"a":2,"b":[true,null,"x"]}') == {"a": 2,
                                                                      "b": [True, None, "x"]}


def test_instants_round_trip_to_the_second_in_utc() -> None:
    """Instants are RFC 3339 UTC to the second; other spellings are refused."""
    moment = dt.datetime(2026, 3, 1, 13, 4, 5, 999, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert instant(moment) == "2026-03-01T12:04:05Z"
    assert parse_instant("2026-03-01T12:04:05Z") == moment.replace(microsecond=0)
    for bad in ("2026-03-01T12:04:05+00:00", "2026-03-01T12:04:05.1Z", "2026-02-30T00:00:00Z",
                "2026-03-01T12:04:05Z\n", "２026-03-01T12:04:05Z", 20260301, None):
        assert parse_instant(bad) is None
    with pytest.raises(CanonicalJSONError):
        instant(dt.datetime(2026, 1, 1))
