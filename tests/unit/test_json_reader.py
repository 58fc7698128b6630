"""The bounded, strict JSON reader: RFC 8259 only, every limit refused with its own code."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from contracts.social_security import ContributionHistoryQuery
from translation.errors import PayloadTooLarge
from translation.json_codec import decode_json
from translation.json_reader import JsonLimits, JsonRefused, read_json

SMALL = JsonLimits(max_bytes=2_000_000, max_depth=8, max_number_length=20, max_string_length=50,
                   max_array_items=5, max_object_members=4)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _code(raw: bytes, limits: JsonLimits = SMALL) -> str:
    with pytest.raises(JsonRefused) as caught:
        read_json(raw, limits)
    issue = caught.value.issues[0]
    assert issue.code == caught.value.code and issue.reason
    return caught.value.code


@pytest.mark.parametrize(("raw", "code"), [
    (b"[" * 100_000 + b"]" * 100_000, "json-too-deep"),
    (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "json-too-deep"),
    (b"1" * 10_000, "json-number-too-long"),
    (b"[1e999999]", "json-non-finite"),
    (b"[-1e999999]", "json-non-finite"),
    (b"NaN", "json-non-finite"),
    (b'{"a": Infinity}', "json-non-finite"),
    (b"[-Infinity]", "json-non-finite"),
    (b'{"a": 1, "a": 2}', "json-duplicate-key"),
    (b'{"b": {"a": 1, "a": 1}}', "json-duplicate-key"),
    (b"\xef\xbb\xbf{}", "json-not-utf8"),
    ('{"a": 1}'.encode("utf-16"), "json-not-utf8"),
    ('{"a": 1}'.encode("utf-16-le"), "json-not-utf8"),
    ('{"a": 1}'.encode("utf-32"), "json-not-utf8"),
    (b'{"a": "\xff"}', "json-not-utf8"),
    (b'{"a": "\xc0\xaf"}', "json-not-utf8"),
    (b"[1, 2,]", "json-invalid"),
    (b'{"a": 1,}', "json-invalid"),
    (b'{"a": 1 /* c */}', "json-invalid"),
    (b"// c\n{}", "json-invalid"),
    (b"{'a': 1}", "json-invalid"),
    (b'{"a": "\x00"}', "json-invalid"),
    (b'{"a": "\\ud800"}', "json-invalid"),
    (b'{"a": 1', "json-invalid"),
    (b"", "json-invalid"),
    (b"[01]", "json-invalid"),
    (b'"' + b"x" * 51 + b'"', "json-string-too-long"),
    (b"[1,2,3,4,5,6]", "json-array-too-large"),
    (b'{"a":1,"b":2,"c":3,"d":4,"e":5}', "json-object-too-large"),
])
def test_each_violation_has_its_stable_code(raw: bytes, code: str) -> None:
    """Every RFC 8259 or limit violation is refused with its code, never a bare exception."""
    assert _code(raw) == code


def test_refusal_names_the_json_pointer_and_the_limit() -> None:
    """The issue says where (JSON Pointer) and which limit was broken."""
    with pytest.raises(JsonRefused) as caught:
        read_json(('{"é": ' + "[" * 10 + "]" * 10 + "}").encode(), SMALL)
    issue = caught.value.issues[0]  # the object is level 1, the ninth level is the 8th array
    assert issue.path == "/é" + "/0" * 7 and "8 levels" in issue.reason
    with pytest.raises(JsonRefused) as caught:
        read_json(b'{"a": [1, {"b~/": "' + b"x" * 60 + b'"}]}', SMALL)
    assert caught.value.issues[0].path == "/a/1/b~0~1"
    with pytest.raises(JsonRefused) as caught:
        read_json(b'{"a": {"b": 1, "b": 2}}', SMALL)
    assert caught.value.issues[0].path == "/a/b" and "'b' appears twice" in caught.value.message


def test_nesting_too_deep_to_parse_names_the_byte_offset() -> None:
    """Deeper than the C parser's recursion guard: refused, and the offset is found."""
    with pytest.raises(JsonRefused) as caught:
        read_json(('{"é": ' + "[" * 3000 + "]" * 3000 + "}").encode(), SMALL)
    issue = caught.value.issues[0]  # é is two bytes: the ninth level opens at byte 14
    assert caught.value.code == "json-too-deep" and issue.path == "byte 14"


def test_an_integer_past_pythons_digit_limit_is_a_refusal_even_when_limits_allow_it() -> None:
    with pytest.raises(JsonRefused) as caught:
        read_json(b"[" + b"7" * 5000 + b"]", JsonLimits(max_number_length=10_000))
    assert caught.value.code == "json-number-too-long"


def test_total_size_is_capped() -> None:
    with pytest.raises(PayloadTooLarge):
        read_json(b" " * 2_000_001, SMALL)


def test_strict_reader_reads_what_json_reads() -> None:
    """Within the limits, the value is the one the standard library reads."""
    doc = {"a": [1, 2.5, -3e10, "x\u00e9\U0001f600", None], "b": {"c": "\\\"[{"}}
    assert read_json(json.dumps(doc).encode(), SMALL) == doc


def test_codec_refuses_before_validation() -> None:
    """decode_json (every JSON ingress) reads with the strict reader."""
    with pytest.raises(JsonRefused) as caught:
        decode_json(ContributionHistoryQuery, b'{"national_id": "1", "national_id": "2"}')
    assert caught.value.code == "json-duplicate-key" and caught.value.status == 400


@FAST
@given(depth=st.integers(9, 5_000), opener=st.sampled_from(["[", '{"k":']))
def test_any_deep_nesting_is_refused(depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    assert _code((opener * depth + "0" + closer * depth).encode()) == "json-too-deep"


@FAST
@given(digits=st.integers(21, 20_000), sign=st.sampled_from(["", "-"]),
       tail=st.sampled_from(["", ".5", "e5", "E-7"]))
def test_any_long_number_is_refused(digits: int, sign: str, tail: str) -> None:
    assert _code(f"[{sign}{'9' * digits}{tail}]".encode()) == "json-number-too-long"


@FAST
@given(key=st.text(max_size=8), first=st.integers(-10**12, 10**12),
       second=st.integers(-10**12, 10**12))
def test_any_duplicate_key_is_refused(key: str, first: int, second: int) -> None:
    raw = "{" + f"{json.dumps(key)}: {first}, {json.dumps(key)}: {second}" + "}"
    assert _code(raw.encode(), JsonLimits()) == "json-duplicate-key"


@FAST
@given(doc=st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                               max_size=3),
    max_leaves=10,
), encoding=st.sampled_from(["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"]))
def test_any_document_in_utf16_or_utf32_is_refused(doc: object, encoding: str) -> None:
    assert _code(json.dumps(doc).encode(encoding)) in ("json-not-utf8", "json-invalid")


@FAST
@given(doc=st.dictionaries(st.text(max_size=8), st.text(max_size=8), min_size=1, max_size=3),
       cut=st.integers(1, 200))
def test_any_truncated_document_is_refused(doc: dict[str, str], cut: int) -> None:
    raw = json.dumps(doc).encode()
    truncated = raw[: max(0, len(raw) - 1 - cut % len(raw))]
    assert _code(truncated, JsonLimits()) in ("json-invalid", "json-not-utf8")


@FAST
@given(text=st.text(min_size=0, max_size=40))
def test_any_unicode_text_reads_back_or_is_refused(text: str) -> None:
    """Odd Unicode (controls, NUL, astral, combining) never escapes as anything but a refusal."""
    for raw in (json.dumps({"t": text}).encode(), json.dumps({"t": text}, ensure_ascii=False)
                .encode("utf-8", "surrogatepass")):
        try:
            assert read_json(raw, SMALL) == {"t": text}
        except JsonRefused:
            pass


def _breaks(value: object, limits: JsonLimits, depth: int = 0) -> bool:
    """An oracle written apart from the reader: whether ``value`` breaks a structural limit."""
    def bad_text(text: str) -> bool:
        return len(text) > limits.max_string_length or any(
            0xD800 <= ord(c) <= 0xDFFF for c in text)

    if isinstance(value, dict):
        return (depth + 1 > limits.max_depth or len(value) > limits.max_object_members
                or any(bad_text(k) or _breaks(v, limits, depth + 1) for k, v in value.items()))
    if isinstance(value, list):
        return (depth + 1 > limits.max_depth or len(value) > limits.max_array_items
                or any(_breaks(v, limits, depth + 1) for v in value))
    return isinstance(value, str) and bad_text(value)


_TEXT = st.text(st.characters(blacklist_categories=()), max_size=60)  # lone surrogates too
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | _TEXT,
    lambda inner: st.lists(inner, max_size=7) | st.dictionaries(
        st.text(st.characters(blacklist_categories=()), max_size=8), inner, max_size=6),
    max_leaves=30)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=_VALUES, ascii_only=st.booleans())
@example(value={"a": "\udc00"}, ascii_only=True)
@example(value={"a": "\U0001f600"}, ascii_only=True)  # written as a surrogate pair: read
@example(value=[[[[[[[[[]]]]]]]]], ascii_only=True)  # nine deep, the limit is eight
@example(value=[[[[[[[{}]]]]]]], ascii_only=True)  # eight deep: read
@example(value={"a": 1, "b": 2, "c": 3, "d": 4}, ascii_only=True)  # four members: read
@example(value=[1, 2, 3, 4, 5, [6]], ascii_only=True)
def test_a_document_is_refused_exactly_when_it_breaks_a_limit(value: object,
                                                              ascii_only: bool) -> None:
    """Small documents skip the full walk when their size alone proves them within limits;
    refusals must not change: depth, container sizes, string lengths and lone surrogates are
    refused exactly as an independent check finds them."""
    raw = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    try:
        assert read_json(raw, SMALL) == value
        refused = False
    except JsonRefused:  # a lone surrogate written raw is refused as not UTF-8: same answer
        refused = True
    assert refused == _breaks(value, SMALL)
