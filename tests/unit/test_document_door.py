"""The door's parts: media types from the bytes, PDF active content, signed links."""

from __future__ import annotations

import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.adapters.documents.errors import DocumentLinkRefused
from hub.adapters.documents.pdf_scan import (
    EMBEDDED_FILE,
    JAVASCRIPT,
    UNSCANNABLE,
    PdfScanner,
    decode_name,
)
from hub.adapters.documents.sniffing import JPEG, PDF, PNG, UNKNOWN, XML, sniff
from hub.service_layer.documents.links import LinkSigner


@pytest.mark.parametrize(("head", "expected"), [
    (b"%PDF-1.4\n", PDF), (b"\x00" * 100 + b"%PDF-1.7", PDF), (b"\x89PNG\r\n\x1a\n....", PNG),
    (b"\xff\xd8\xff\xe0", JPEG), (b"\xef\xbb\xbf  <?xml version='1.0'?><a/>", XML),
    (b"<?xml version='1.0'?>", XML), (b"PK\x03\x04", "application/zip"), (b"hello", UNKNOWN),
    (b"<html>", UNKNOWN),
])
def test_media_type_is_told_from_the_bytes(head: bytes, expected: str) -> None:
    """Signatures, a PDF header after junk (allowed in the first KiB), XML after a BOM."""
    assert sniff(head) == expected


def _scan(data: bytes, block: int) -> set[str]:
    scanner = PdfScanner()
    for start in range(0, len(data), block):
        scanner.feed(data[start:start + block])
    return scanner.finish()


def _stream(dictionary: bytes, content: bytes) -> bytes:
    return (b"9 0 obj\n<< " + dictionary + b" /Length " + str(len(content)).encode()
            + b" >>\nstream\r\n" + content + b"\r\nendstream\nendobj\n")


@pytest.mark.parametrize("block", [1, 7, 64, 100_000])
@pytest.mark.parametrize(("body", "found"), [
    (b"<< /S /JavaScript /JS (x) >>", {JAVASCRIPT}),
    (b"<< /S /J#61vaScript >>", {JAVASCRIPT}),
    (b"<< /#4A#53 (x) >>", {JAVASCRIPT}),
    (b"<< /Names << /EmbeddedFiles 3 0 R >> >>", {EMBEDDED_FILE}),
    (b"<< /Subtype /FileAttachment >>", {EMBEDDED_FILE}),
    (_stream(b"/Type /ObjStm /Filter /FlateDecode", zlib.compress(b"<< /S /JavaScript >>")),
     {JAVASCRIPT}),
    (_stream(b"/Type /ObjStm /Filter /Fl#61teDecode", zlib.compress(b"<< /JS 1 >>")),
     {JAVASCRIPT}),
    (_stream(b"/Type /ObjStm /Filter /LZWDecode", b"\x80\x0b"), {UNSCANNABLE}),
    (_stream(b"/Subtype /Image /Filter /DCTDecode", b"/JS /JavaScript"), set()),
    (_stream(b"/Filter /FlateDecode", zlib.compress(b"BT /F1 12 Tf (JS is fine) Tj ET")), set()),
    (b"<< /JSX 1 /MyJavaScript 2 /Type /Page >>", set()),
])
def test_pdf_scanner_finds_active_content_across_any_block_size(
    body: bytes, found: set[str], block: int
) -> None:
    """Names are decoded and whole; Flate streams are inflated; pixels are not read."""
    data = b"%PDF-1.7\n1 0 obj\n" + body + b"\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    assert _scan(data, block) == found


def test_decode_name() -> None:
    assert decode_name(b"/J#61va#53cript") == b"JavaScript"


def test_links_refuse_tampered_expired_and_other_recipients() -> None:
    """A link works for its recipient until it expires, and only unaltered."""
    now = [1_000_000.0]
    signer = LinkSigner(b"s" * 32, ttl_s=60, clock=lambda: now[0])
    link = signer.issue("doc-1", "north/tax", "benefit")
    assert (signer.check(link.token, "north/tax").document_id,
            signer.check(link.token, "north/tax").purpose) == ("doc-1", "benefit")
    with pytest.raises(DocumentLinkRefused, match="issued to north/tax"):
        signer.check(link.token, "north/vehicles")
    payload, mac = link.token.split(".")
    forged = LinkSigner(b"t" * 32).issue("doc-1", "north/vehicles", "benefit").token.split(".")[0]
    for altered in (f"{forged}.{mac}", f"{payload}.{mac[:-2]}AA", "garbage", f"{payload}."):
        with pytest.raises(DocumentLinkRefused, match="altered"):
            signer.check(altered, "north/tax")
    now[0] += 61
    with pytest.raises(DocumentLinkRefused, match="expired"):
        signer.check(link.token, "north/tax")


_FRAGMENTS = [
    b"<< /Type /Page >>", b"<< /S /JavaScript >>", b"<< /EF << /F 3 0 R >> /Type /EmbeddedFile >>",
    b"(a string /JSX) ", b"/J#53 ", b"/FileAttachment",
    _stream(b"/Filter /FlateDecode /Type /ObjStm", zlib.compress(b"<< /JS (x) >>")),
    _stream(b"/Filter /DCTDecode", b"\xff\xd8/JS /EmbeddedFile\xff"),
    _stream(b"", b"BT (/JavaScript) Tj ET"),
]


@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=6), st.lists(
    st.integers(min_value=1, max_value=300), min_size=1, max_size=20))
@settings(max_examples=200, deadline=None)
def test_what_the_scanner_finds_does_not_depend_on_how_the_bytes_arrive(
    parts: list[bytes], cuts: list[int]
) -> None:
    """Cut into blocks anywhere, the same PDF yields the same findings as in one block."""
    data = b"%PDF-1.7\n" + b"\n".join(parts) + b"\n%%EOF\n"
    whole = PdfScanner()
    whole.feed(data)
    expected = whole.finish()
    scanner, start, i = PdfScanner(), 0, 0
    while start < len(data):
        size = cuts[i % len(cuts)]
        scanner.feed(data[start:start + size])
        start, i = start + size, i + 1
    assert scanner.finish() == expected
