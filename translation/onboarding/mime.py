"""MIME bindings (SOAP with Attachments): which parts travel as MIME parts, not as XML.

A binding's input or output may wrap its ``soap:body`` in a
``mime:multipartRelated``; every ``mime:content`` in it names a message part
sent as a MIME part of the multipart/related message (a scan, a photo). Such a
part is an attachment, not an XML body part: the scaffold marks it so (and
records it) instead of offering it to a mapping.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass

from lxml import etree

from translation.onboarding.report import MIME_ATTACHMENT, ToleranceLog, Tolerated

MIME_NS = "http://schemas.xmlsoap.org/wsdl/mime/"
_MIME = f"{{{MIME_NS}}}"


@dataclass(frozen=True)
class Attachment:
    """A part a MIME binding (``mime:multipartRelated``) sends as a MIME part, not as XML."""

    part: str
    content_type: str
    where: str


def multipart_related(
    bound_io: etree._Element | None, soap_namespaces: Container[str], tolerated: ToleranceLog
) -> tuple[etree._Element | None, tuple[Attachment, ...]]:
    """The soap:body inside a ``mime:multipartRelated``, and the parts it sends as MIME parts.

    ``soap_namespaces``: the SOAP binding namespaces whose ``body`` element counts.
    Each attachment is recorded in ``tolerated`` (once, with its first content type).
    """
    related = bound_io.find(f"{_MIME}multipartRelated") if bound_io is not None else None
    if related is None:
        return None, ()
    body = None
    attachments: dict[str, Attachment] = {}
    for mime_part in related.iterfind(f"{_MIME}part"):
        for child in mime_part:
            if body is None and _is_soap_body(child, soap_namespaces):
                body = child
        for content in mime_part.iterfind(f"{_MIME}content"):
            name = (content.get("part") or "").strip()
            if not name or name in attachments:
                continue  # alternatives of one part list several content types
            record = Tolerated.at(
                content,
                MIME_ATTACHMENT,
                f"mime:content part={name} type={content.get('type', '')}",
                "marked as an attachment (a MIME part, not mapped as XML)",
            )
            attachments[name] = Attachment(name, content.get("type", ""), record.where)
            tolerated.add(record)
    return body, tuple(attachments.values())


def _is_soap_body(element: etree._Element, soap_namespaces: Container[str]) -> bool:
    if not isinstance(element.tag, str):
        return False
    qname = etree.QName(element)
    return qname.localname == "body" and qname.namespace in soap_namespaces
