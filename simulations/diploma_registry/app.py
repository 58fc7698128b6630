"""The emulated Diploma Registry as an aiohttp app on a loopback port.

``POST /ws/registry`` takes ``VerifyDiploma`` (MTOM: the diploma an ``xop:Include``) or
``VerifyDiplomaSwA`` (SwA: the diploma a ``cid:`` reference), reads the diploma part, and
answers in the same packaging with its decision as an attachment: a small PDF that names the
SHA-256 of the diploma it received, so a test can see the bytes arrived whole.

``?answer=`` makes it answer wrongly, as legacy systems do: ``missing-part`` (the envelope
references a part the package lacks), ``unknown-cid`` (the reference names no part),
``duplicate`` (two parts carry one Content-ID), ``oversized`` (a 6 MiB decision), ``exe``
(a decision that is a Windows executable) and ``fault`` (a plain SOAP Fault); ``large``
answers rightly with a decision of :data:`LARGE` bytes of padding (many network blocks).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiohttp import web
from lxml import etree

from translation.mime_related import XOP_NS, RelatedReader, content_id

REG_NS = "urn:diploma-registry:2011"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
PATH = "/ws/registry"
_BLOCK = 64 * 1024
LARGE = 3 * 1024 * 1024 + 17


@dataclass
class Registry:
    """What the registry received (for tests to compare): diploma digests and media types."""

    received: list[tuple[str, str]] = field(default_factory=list)


def registry_app(registry: Registry) -> web.Application:
    """The registry's app; ``registry`` records what arrives."""
    async def verify(request: web.Request) -> web.StreamResponse:
        reader = RelatedReader(request.headers.get("Content-Type", ""),
                               request.content.iter_chunked(_BLOCK), root_limit=1 << 20,
                               part_limit=64 << 20)
        root = etree.fromstring(await reader.root())
        call = root.find(f"{{{SOAP_NS}}}Body")[0]  # type: ignore[index]
        mtom = etree.QName(call).localname == "VerifyDiploma"
        pers_no = call.findtext(f"{{{REG_NS}}}PersNo") or ""
        diploma = call.find(f"{{{REG_NS}}}Diploma")
        include = diploma.find(f"{{{XOP_NS}}}Include") if diploma is not None else None
        href = (include.get("href", "") if include is not None
                else diploma.text or "" if diploma is not None else "")
        digest, media = "", ""
        async for part in reader.parts():
            sha = hashlib.sha256()
            async for chunk in part.chunks:
                sha.update(chunk)
            if part.content_id == content_id(href):
                digest, media = sha.hexdigest(), part.media_type
        registry.received.append((digest, media))
        return await _answer(request, mtom, pers_no, digest, request.query.get("answer", "ok"))

    app = web.Application()
    app.router.add_post(PATH, verify)
    return app


def decision_pdf(diploma_sha256: str, pad: int = 0) -> bytes:
    """The registry's decision about the diploma whose digest it received (``pad`` bytes of
    comment make it as large as a scanned one)."""
    return (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n% decision: authentic diploma "
            + diploma_sha256.encode() + b"\n" + (b"%" + b"x" * pad + b"\n" if pad else b"")
            + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n")


async def _answer(request: web.Request, mtom: bool, pers_no: str, digest: str,
                  answer: str) -> web.StreamResponse:
    if answer == "fault":  # a plain SOAP Fault, as legacy systems answer what they refuse
        return web.Response(status=500, content_type="text/xml", text=(
            f'<soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body><soap:Fault><faultcode>'
            "soap:Client</faultcode><faultstring>diploma register closed for maintenance"
            "</faultstring></soap:Fault></soap:Body></soap:Envelope>"))
    cid = "decision@registry"
    referenced = "nothing@registry" if answer == "unknown-cid" else cid
    name = "VerifyDiplomaResponse" if mtom else "VerifyDiplomaSwAResponse"
    decision = (f'<reg:Decision><xop:Include xmlns:xop="{XOP_NS}" href="cid:{referenced}"/>'
                f'</reg:Decision>' if mtom else f"<reg:Decision>cid:{referenced}</reg:Decision>")
    envelope = (f'<soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body><reg:{name} '
                f'xmlns:reg="{REG_NS}"><reg:PersNo>{pers_no}</reg:PersNo><reg:Verdict>'
                f'authentic</reg:Verdict>{decision}</reg:{name}></soap:Body></soap:Envelope>'
                ).encode()
    body = decision_pdf(digest, pad={"oversized": 6 << 20, "large": LARGE}.get(answer, 0))
    if answer == "exe":
        body = b"MZ\x90\x00" + b"\x00" * 200
    parts = [] if answer == "missing-part" else [(cid, body)]
    if answer == "duplicate":
        parts.append((cid, body))
    boundary = "registry-boundary-2011"
    root_type = ('application/xop+xml; charset=utf-8; type="text/xml"' if mtom
                 else "text/xml; charset=utf-8")
    response = web.StreamResponse(headers={"Content-Type": (
        f'multipart/related; type="{"application/xop+xml" if mtom else "text/xml"}"; '
        f'boundary="{boundary}"; start="<root@registry>"')})
    await response.prepare(request)
    async for block in _package(boundary, root_type, envelope, parts):
        await response.write(block)
    await response.write_eof()
    return response


async def _package(boundary: str, root_type: str, envelope: bytes,
                   parts: list[tuple[str, bytes]]) -> AsyncIterator[bytes]:
    yield (f"--{boundary}\r\nContent-Type: {root_type}\r\nContent-ID: <root@registry>\r\n\r\n"
           ).encode() + envelope + b"\r\n"
    for cid, data in parts:
        yield (f"--{boundary}\r\nContent-Type: application/pdf\r\nContent-ID: <{cid}>\r\n"
               "Content-Transfer-Encoding: binary\r\n\r\n").encode()
        for start in range(0, len(data), _BLOCK):
            yield data[start:start + _BLOCK]
        yield b"\r\n"
    yield f"--{boundary}--\r\n".encode()
