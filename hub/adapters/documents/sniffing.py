"""The media type of a document, told from its first bytes (a declared type is not trusted).

A short signature table rather than libmagic: the hub accepts a handful of types, each with
a fixed, documented signature, and the table names a few common others so a refusal can say
what the bytes were. ``None`` means "none of these": refused unless a service allows
``application/octet-stream``.
"""

from __future__ import annotations

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
XML = "application/xml"
UNKNOWN = "application/octet-stream"
DEFAULT_ALLOWED = (PDF, PNG, JPEG, XML)

SNIFF_BYTES = 1024
"""How many leading bytes the sniffer needs (PDF allows its header anywhere in the first 1024)."""

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"MZ", "application/x-msdownload"),
    (b"\x7fELF", "application/x-executable"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
)
_XML_BOMS = (b"\xef\xbb\xbf", b"")


def sniff(head: bytes) -> str:
    """The media type of a document whose first bytes are ``head`` (up to SNIFF_BYTES)."""
    for signature, media_type in _SIGNATURES:
        if head.startswith(signature):
            return media_type
    if b"%PDF-" in head[:SNIFF_BYTES]:
        return PDF
    for bom in _XML_BOMS:
        if head.startswith(bom) and head[len(bom):].lstrip(b" \t\r\n").startswith(b"<?xml"):
            return XML
    return UNKNOWN
