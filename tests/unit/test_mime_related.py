"""multipart/related packages written and read as streams: what the SOAP provider adapter
sends and how it reads a provider's answer, refusals named."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from translation.mime_related import (
    AttachmentError,
    OutgoingPart,
    RelatedReader,
    content_id,
    package,
)

ENVELOPE = b"<soap:Envelope xmlns:soap='http://schemas.xmlsoap.org/soap/envelope/'/>"


async def _blocks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


async def _joined(chunks: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in chunks])


async def _read(content_type: str, body: bytes, *, block: int = 997, part_limit: int = 1 << 20
                ) -> tuple[bytes, list[tuple[str, str, bytes]]]:
    reader = RelatedReader(content_type, _blocks(body, block), root_limit=4096,
                           part_limit=part_limit)
    root = await reader.root()
    parts = [(p.content_id, p.media_type, await _joined(p.chunks))
             async for p in reader.parts()]
    return root, parts


@pytest.mark.parametrize("packaging", ["mtom", "swa"])
async def test_a_package_round_trips_byte_for_byte(packaging: str) -> None:
    """Two binary parts (holding CRLF and boundary-like bytes) come back as they went,
    whatever the network's block size."""
    first = b"\r\n--=_interop-hub_" + os.urandom(300_000)
    second = os.urandom(10)
    sent = package(ENVELOPE, [OutgoingPart("a@x", "application/pdf", _blocks(first, 65536)),
                              OutgoingPart("b@x", "image/png", _blocks(second, 3))], packaging)
    body = await _joined(sent.body)
    assert ("application/xop+xml" in sent.content_type) == (packaging == "mtom")
    for block in (997, 1 << 20):
        root, parts = await _read(sent.content_type, body, block=block)
        assert root == ENVELOPE
        assert parts == [("a@x", "application/pdf", first), ("b@x", "image/png", second)]
    small = package(ENVELOPE, [OutgoingPart("c@x", "image/png", _blocks(second, 1))],
                    packaging)
    assert await _read(small.content_type, await _joined(small.body), block=1) == (
        ENVELOPE, [("c@x", "image/png", second)])


def _handmade(*parts: tuple[str, bytes], boundary: str = "b") -> bytes:
    out = f"--{boundary}\r\nContent-ID: <root>\r\n\r\n".encode() + ENVELOPE + b"\r\n"
    for cid, data in parts:
        out += f"--{boundary}\r\nContent-ID: {cid}\r\n\r\n".encode() + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


@pytest.mark.parametrize(("body", "code"), [
    (_handmade(("<a>", b"1"), ("<a>", b"2")), "attachment-duplicate-id"),
    (_handmade(("<a>", b"x" * 5000)), "attachment-too-large"),
    (_handmade(("", b"1")), "attachment-content-id"),
    (_handmade(("<a>", b"1"))[:-20], "attachment-package"),
], ids=["two-parts-one-content-id", "part-over-the-cap", "part-without-content-id",
        "cut-off"])
async def test_a_wrong_package_is_refused_naming_why(body: bytes, code: str) -> None:
    """Each refusal carries its own code and names the part."""
    with pytest.raises(AttachmentError) as raised:
        await _read('multipart/related; type="text/xml"; boundary=b', body, part_limit=4096)
    assert raised.value.code == code == raised.value.issues[0].code


async def test_the_root_must_come_first_and_a_boundary_is_needed() -> None:
    """start names the root; a package whose first part is another is refused, as is a
    Content-Type without a boundary."""
    with pytest.raises(AttachmentError, match="start parameter"):
        await _read('multipart/related; boundary=b; start="<other>"', _handmade())
    with pytest.raises(AttachmentError) as raised:
        RelatedReader("multipart/related", _blocks(b"", 1), root_limit=1, part_limit=1)
    assert raised.value.issues[0].path == "header:Content-Type"


def test_content_ids_are_compared_in_one_form() -> None:
    """cid: URLs are unescaped; Content-ID headers lose their brackets."""
    assert content_id("cid:a%40b") == content_id("<a@b>") == "a@b"
