"""Attachment fields of a SOAP mapping on the wire: the element that carries a document.

In the contract an attachment field holds a document id. On the wire its element holds the
reference to an attachment part: ``cid:<Content-ID>`` as text (SwA's ``swaRef``), or an
``xop:Include href="cid:…"`` child (MTOM, where the schema types the element
``base64Binary``). The legacy schema checks the message in its wire form, before the
reference is swapped for the document id and the contract is built.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lxml import etree

from contracts import Contract
from contracts.errors import FieldIssue
from translation.mapping.attachment_spec import AttachmentRule
from translation.mime_related import XOP_NS, AttachmentError, Packaging, content_id

_XOP_INCLUDE = f"{{{XOP_NS}}}Include"


@dataclass(frozen=True)
class Reference:
    """One attachment field of a message: its rule and the Content-ID of its part."""

    rule: AttachmentRule
    content_id: str


def wire_request(request: Contract, rules: Sequence[AttachmentRule], content_ids: Sequence[str],
                 packaging: Packaging) -> Contract:
    """``request`` with each attachment field holding what its element carries on the wire
    before the XOP step: ``cid:…`` (SwA) or an empty ``base64Binary`` (MTOM)."""
    update = {rule.field: (f"cid:{cid}" if packaging == "swa" else "")
              for rule, cid in zip(rules, content_ids, strict=True)}
    # No validation: the wire value is not a document id (the schema checks it instead).
    return request.model_copy(update=update)


def include_parts(body: etree._Element, references: Sequence[Reference],
                  prefixes: Mapping[str, str]) -> None:
    """Put an ``xop:Include`` of its part into each attachment element (MTOM)."""
    for ref in references:
        element = _element(body, ref.rule, prefixes)
        element.text = None
        etree.SubElement(element, _XOP_INCLUDE, nsmap={"xop": XOP_NS}).set(
            "href", f"cid:{ref.content_id}")


def read_references(body: etree._Element, rules: Sequence[AttachmentRule],
                    prefixes: Mapping[str, str]) -> list[Reference]:
    """The part each attachment element of an answer names; the element is left in the form
    its schema checks (an ``xop:Include`` becomes empty ``base64Binary`` content)."""
    references = []
    for rule in rules:
        element = _element(body, rule, prefixes)
        include = element.find(_XOP_INCLUDE)
        if include is not None:
            href = include.get("href", "")
            element.remove(include)
            element.text = ""
        else:
            href = (element.text or "").strip()
        if not href.lower().startswith("cid:") or not content_id(href):
            raise AttachmentError(f"{rule.path} must reference an attachment part (cid:… or "
                                  f"xop:Include), got {href[:80]!r}", "attachment-reference",
                                  rule.path)
        references.append(Reference(rule, content_id(href)))
    return references


def name_documents(body: etree._Element, documents: Mapping[str, str],
                   prefixes: Mapping[str, str], rules: Sequence[AttachmentRule]) -> None:
    """Write each stored document's id (by field) into its element, for the mapping to read."""
    for rule in rules:
        _element(body, rule, prefixes).text = documents[rule.field]


def _element(body: etree._Element, rule: AttachmentRule,
             prefixes: Mapping[str, str]) -> etree._Element:
    found = body.xpath(rule.path, namespaces=dict(prefixes))
    elements = [node for node in found if isinstance(node, etree._Element)] if isinstance(
        found, list) else []
    if len(elements) != 1:
        raise AttachmentError(f"expected one element at {rule.path}, found {len(elements)}",
                              "attachment-missing", rule.path)
    return elements[0]


def unmatched(references: Sequence[Reference], received: Mapping[str, str]) -> list[FieldIssue]:
    """An issue for each reference whose part never came (``received``: Content-ID -> id)."""
    return [FieldIssue(path=ref.rule.path, reason=f"cid:{ref.content_id} names no part of "
                       "the package", code="attachment-unknown-cid")
            for ref in references if ref.content_id not in received]
