"""The hardened XML parser refuses every classic XML attack and maps each failure to a code."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from lxml import etree

from tests.loopback_listener import Listener, loopback_listener
from tests.waiting import wait_until
from translation.errors import MalformedInput, PayloadTooLarge
from translation.xml_safety import XmlLimits, parse_xml

SECRET = "s3cr3t-do-not-leak-7f4e"


def _code(exc: MalformedInput) -> str:
    (issue,) = exc.issues
    return issue.code


def _all_text(exc: BaseException) -> str:
    """Everything an error could show a caller: message, reasons, paths, cause."""
    issues = getattr(exc, "issues", ())
    parts = [str(exc), repr(exc), *(f"{i.path} {i.reason} {i.field}" for i in issues)]
    return " ".join([*parts, repr(exc.__cause__), repr(exc.__context__)])


@pytest.fixture
def listener() -> Iterator[Listener]:
    with loopback_listener() as spy:
        yield spy


def _assert_only_probe_reaches(spy: Listener) -> None:
    """Prove the listener works (our probe gets through) and that nothing else connected."""
    with socket.create_connection(("127.0.0.1", spy.port), timeout=2):
        pass
    wait_until(lambda: spy.connections, timeout_s=2, interval_s=0.01,
               message="our probe's connection seen by the listener")
    assert len(spy.connections) == 1, spy.connections


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


def _billion_laughs() -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    return f'<?xml version="1.0"?><!DOCTYPE r [{"".join(entities)}]><r>&lol9;</r>'.encode()


def test_good_document_parses_with_comments_kept() -> None:
    """A plain document parses into its root element; comments are not stripped."""
    root = parse_xml(b'<?xml version="1.0"?><a xmlns="urn:x"><!-- note --><b>caf\xc3\xa9</b></a>')
    assert root.tag == "{urn:x}a"
    assert root.findtext("{urn:x}b") == "café"
    assert isinstance(root[0], etree._Comment)


def test_doctype_text_in_a_comment_is_not_a_doctype() -> None:
    """Only a real DOCTYPE declaration is refused, not the word in a comment."""
    assert parse_xml(b"<!-- <!DOCTYPE x> --><a/>").tag == "a"


def test_utf16_document_with_bom_parses() -> None:
    """Encodings other than UTF-8 are accepted when declared correctly."""
    data = '<?xml version="1.0" encoding="UTF-16"?><a>é</a>'.encode("utf-16")
    assert parse_xml(data).text == "é"


def test_billion_laughs_is_refused_without_expansion() -> None:
    """Nested entity definitions are refused at the DOCTYPE, before any expansion."""
    started = time.perf_counter()
    with pytest.raises(MalformedInput) as caught:
        parse_xml(_billion_laughs())
    assert _code(caught.value) == "dtd-forbidden"
    assert time.perf_counter() - started < 1
    assert "lollol" not in _all_text(caught.value)


def test_quadratic_blowup_is_refused() -> None:
    """One large entity referenced many times is refused at the DOCTYPE."""
    data = b'<!DOCTYPE r [<!ENTITY a "' + b"A" * 100_000 + b'">]><r>' + b"&a;" * 50_000 + b"</r>"
    with pytest.raises(MalformedInput) as caught:
        parse_xml(data)
    assert _code(caught.value) == "dtd-forbidden"


@pytest.mark.parametrize(
    "template",
    [
        '<!DOCTYPE r [<!ENTITY x SYSTEM "{uri}">]><r>&x;</r>',
        '<!DOCTYPE r [<!ENTITY x SYSTEM "{uri}">]><r a="&x;"/>',
        '<!DOCTYPE r SYSTEM "{uri}"><r/>',
        '<!DOCTYPE r [<!ENTITY % p SYSTEM "{uri}"> %p;]><r/>',
    ],
    ids=["entity-in-text", "entity-in-attribute", "external-dtd", "parameter-entity"],
)
def test_file_xxe_never_reads_the_file(template: str, secret_file: Path) -> None:
    """External entities and DTDs pointing at a local file are refused and leak nothing."""
    data = template.replace("{uri}", secret_file.as_uri()).encode()
    with pytest.raises(MalformedInput) as caught:
        parse_xml(data)
    assert _code(caught.value) == "dtd-forbidden"
    assert SECRET not in _all_text(caught.value)


@pytest.mark.parametrize(
    "template",
    [
        '<!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:{port}/x">]><r>&x;</r>',
        '<!DOCTYPE r SYSTEM "http://127.0.0.1:{port}/r.dtd"><r/>',
        '<!DOCTYPE r PUBLIC "-//X//Y" "http://127.0.0.1:{port}/r.dtd"><r/>',
        '<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:{port}/p.dtd"> %p;]><r/>',
        # The out-of-band exfiltration pattern: a file read into a URL of a second entity.
        '<!DOCTYPE r [<!ENTITY % f SYSTEM "{file}">'
        "<!ENTITY % w \"<!ENTITY &#x25; s SYSTEM 'http://127.0.0.1:{port}/?%f;'>\"> %w; %s;]><r/>",
    ],
    ids=["entity", "external-dtd", "public-dtd", "parameter-entity", "out-of-band"],
)
def test_network_xxe_never_connects(template: str, listener: Listener, secret_file: Path) -> None:
    """Nothing in a document makes the parser open a connection."""
    data = template.replace("{port}", str(listener.port)).replace("{file}", secret_file.as_uri())
    with pytest.raises(MalformedInput) as caught:
        parse_xml(data.encode())
    assert _code(caught.value) == "dtd-forbidden"
    _assert_only_probe_reaches(listener)


def test_parameter_entity_laughs_are_refused() -> None:
    """Exponential parameter entities inside the DTD are refused before they are read."""
    decls = ['<!ENTITY % a0 "aaaaaaaaaa">'] + [
        f'<!ENTITY % a{i} "{f"%a{i - 1};" * 10}">' for i in range(1, 10)
    ]
    data = f"<!DOCTYPE r [{''.join(decls)} %a9;]><r/>".encode()
    with pytest.raises(MalformedInput) as caught:
        parse_xml(data)
    assert _code(caught.value) == "dtd-forbidden"


def test_xinclude_is_not_processed(secret_file: Path) -> None:
    """XInclude elements stay elements: parsing never pulls in another resource."""
    data = (
        '<r xmlns:xi="http://www.w3.org/2001/XInclude">'
        f'<xi:include href="{secret_file.as_uri()}" parse="text"/></r>'
    ).encode()
    root = parse_xml(data)
    assert SECRET not in etree.tostring(root).decode()


def test_100k_deep_nesting_is_refused_without_crashing() -> None:
    """libxml2's own depth limit is reported as too-deep, not as a crash or recursion error."""
    depth = 100_000
    with pytest.raises(MalformedInput) as caught:
        parse_xml(b"<a>" * depth + b"</a>" * depth)
    assert _code(caught.value) == "too-deep"
    assert "XML_PARSE_HUGE" not in caught.value.issues[0].reason


def test_depth_limit_boundary() -> None:
    """A document exactly at the limit parses; one level deeper is too deep."""
    assert parse_xml(b"<a>" * 256 + b"</a>" * 256).tag == "a"
    limits = XmlLimits(max_depth=3)
    assert parse_xml(b"<a><b><c/></b></a>", limits).tag == "a"
    with pytest.raises(MalformedInput) as caught:
        parse_xml(b"<a><b><c><d/></c></b></a>", limits)
    assert _code(caught.value) == "too-deep"


def test_limits_cannot_exceed_libxml2() -> None:
    """A depth limit libxml2 would never honour is a configuration error."""
    with pytest.raises(ValueError, match="256"):
        XmlLimits(max_depth=1000)
    with pytest.raises(ValueError, match="positive"):
        XmlLimits(max_bytes=0)


def test_oversize_is_refused_before_parsing() -> None:
    """The byte cap is checked first: garbage over the cap is too large, not malformed."""
    with pytest.raises(PayloadTooLarge) as caught:
        parse_xml(b"\x00" * 101, XmlLimits(max_bytes=100))
    assert caught.value.size == 101
    assert caught.value.limit == 100
    assert caught.value.issues[0].code == "payload-too-large"


@pytest.mark.parametrize(
    "data",
    [b"<a>\xff\xfe</a>", b'<?xml version="1.0" encoding="UTF-8"?><a>\xc3</a>'],
    ids=["stray-bytes", "truncated-sequence"],
)
def test_invalid_utf8_is_an_encoding_error(data: bytes) -> None:
    """Bytes that are not UTF-8 are reported as an encoding problem with their position."""
    with pytest.raises(MalformedInput) as caught:
        parse_xml(data)
    assert _code(caught.value) == "invalid-encoding"
    assert caught.value.issues[0].reason.startswith("line 1, column")


def test_not_well_formed_reports_line_and_column() -> None:
    """A syntax error names where it is."""
    with pytest.raises(MalformedInput) as caught:
        parse_xml(b"<a>\n  <b></a>")
    (issue,) = caught.value.issues
    assert issue.code == "not-well-formed"
    assert issue.path == "$"
    assert issue.reason.startswith("line 2, column")
    assert "mismatch" in issue.reason


def test_each_parse_reports_its_own_error_only() -> None:
    """The parser a thread keeps starts every message afresh: no earlier error leaks in."""
    for data, line in ((b"<a>\n  <b></a>", 2), (b"<a/>", None), (b"<x>\n\n\n<y></z></x>", 4)):
        if line is None:
            assert parse_xml(data).tag == "a"
            continue
        with pytest.raises(MalformedInput) as caught:
            parse_xml(data)
        (issue,) = caught.value.issues
        assert issue.reason.startswith(f"line {line}, column")


def test_threads_parse_at_once_without_mixing_messages() -> None:
    """Concurrent parses on several threads each get their own document and errors."""
    good = [f"<n{i}>{'<c>v</c>' * 200}</n{i}>".encode() for i in range(8)]
    bad = [b"<r>" + b"\n" * i + b"<open></r>" for i in range(8)]

    def parse(data: bytes) -> str:
        try:
            return str(parse_xml(data).tag)
        except MalformedInput as exc:
            return exc.issues[0].reason.split(":")[0]

    expected = [parse(data) for data in [*good, *bad]]
    assert expected[:8] == [f"n{i}" for i in range(8)]
    assert [reason.split(",")[0] for reason in expected[8:]] == [f"line {i + 1}" for i in range(8)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(parse, [*good, *bad] * 25)) == expected * 25


@pytest.mark.parametrize("data", [b"", b"   ", b"not xml", b"<a/><b/>", b"<a>&undefined;</a>"])
def test_garbage_is_not_well_formed(data: bytes) -> None:
    """Empty input, text, two roots and undeclared entities are all not well-formed."""
    with pytest.raises(MalformedInput) as caught:
        parse_xml(data)
    assert _code(caught.value) == "not-well-formed"


def test_reason_is_the_error_not_a_preceding_warning() -> None:
    """A libxml2 warning (relative namespace URI) does not hide the error that stopped parsing."""
    with pytest.raises(MalformedInput) as caught:
        parse_xml(b'<a xmlns="relative"><b></a>')
    (issue,) = caught.value.issues
    assert issue.code == "not-well-formed"
    assert "mismatch" in issue.reason


@pytest.mark.parametrize(
    ("data", "plain"),
    [
        (b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- c --><?pi x?>\n<a/>', True),
        (b"\xef\xbb\xbf<a/>", True),
        (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', False),
        (b"<!-- <a/> --><!DOCTYPE a><a/>", False),
        (b'<?xml version="1.0" encoding="UTF-16"?><a/>', False),
        (b"<![CDATA[x]]><a/>", False),
        (b"text<a/>", False),
        (b"<!-- never closed <a/>", False),
    ],
)
def test_prolog_fast_path_only_ever_clears_plain_prologs(data: bytes, plain: bool) -> None:
    """The byte-level prolog scan clears only prologs it fully understands; else libxml2 decides."""
    from translation.xml_safety import _prolog_is_plain

    assert _prolog_is_plain(data) is plain


@pytest.mark.parametrize(
    ("data", "matches"),
    [
        (b"<?xml version='1.0' encoding='UTF-8'?>\n<a/>", True),
        (b'<?xml version="1.0" standalone="yes" ?>\r\n\t<x:a/>', True),
        (b"\xef\xbb\xbf <a/>", True),
        (b"<\xc3\xa9/>", True),
        (b'<?xml version="1.0" encoding="UTF-16"?><a/>', False),
        (b'<?xml version="1.0" encoding="utf-8"?><!DOCTYPE a><a/>', False),
        (b"<?xml-stylesheet href='x'?><a/>", False),
        (b'<?xml version="1.0" encoding="ebcdic"?><a/>', False),
        (b"<!DOCTYPE a><a/>", False),
        (b"< a/>", False),
        (b"\xff\xfe<\x00a\x00/\x00>\x00", False),
    ],
)
def test_one_match_prolog_check_clears_only_what_the_byte_scan_clears(
    data: bytes, matches: bool
) -> None:
    """The regex for the common prolog is a shortcut of the byte scan, never more lenient."""
    from translation.xml_safety import _COMMON_PROLOG, _scanned_prolog_is_plain

    assert (_COMMON_PROLOG.match(data) is not None) is matches
    if matches:
        assert _scanned_prolog_is_plain(data)


def test_doctype_behind_comments_and_pis_is_still_refused() -> None:
    """A DOCTYPE after comments and processing instructions never reaches the real parse."""
    with pytest.raises(MalformedInput) as caught:
        parse_xml(b'<?xml version="1.0"?><!-- x --><?pi y?><!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>')
    assert caught.value.issues[0].code == "dtd-forbidden"
