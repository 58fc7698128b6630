"""The attachment rules of a SOAP mapping file: which element carries a document as an
attachment part, and which contract field (a document reference) stands for it.

::

    [soap.attachments]
    packaging = "mtom"            # "mtom" (xop:Include) or "swa" (swaRef: "cid:…" as text)
    max_bytes = 20971520          # optional: the cap on one attachment of the answer

    [request.attachments]
    certificate = "bur:Certificate"   # contract field = the element carrying the reference

    [response.attachments]
    decision = "bur:Decision"

On the wire the element holds ``cid:<Content-ID>`` (SwA) or an ``xop:Include`` of the part
(MTOM); in the contract the field holds the document id. A section's attachment fields are
top-level fields of the contract, and each is mapped like a plain ``field = "path"`` rule,
so ``adapter check`` checks the path against the legacy schema as for any field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

PACKAGINGS = ("mtom", "swa")
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_WHERE = "soap.attachments"
_FIELD = re.compile(r"[A-Za-z_]\w*")


@dataclass(frozen=True)
class AttachmentsSpec:
    """How a SOAP mapping packages its attachments, and the cap on one answered part."""

    packaging: Literal["mtom", "swa"]
    max_bytes: int = DEFAULT_MAX_BYTES


@dataclass(frozen=True)
class AttachmentRule:
    """One contract field that names a document sent or received as an attachment part."""

    field: str
    path: str
    key: str


class _Reader(Protocol):
    """What these readers need of the mapping file reader (``spec._Reader``)."""

    def problem(self, key: str, reason: str, code: str = ...) -> None: ...

    def table(self, parent: dict[str, Any], name: str, *, required: bool = ...,
              where: str | None = ...) -> dict[str, Any]: ...

    def unknown(self, table: dict[str, Any], where: str, allowed: set[str]) -> None: ...


def read_packaging(reader: _Reader, soap: Mapping[str, Any]) -> AttachmentsSpec | None:
    """The ``[soap.attachments]`` table, shape-checked; problems go to ``reader``."""
    table = reader.table(dict(soap), "attachments", where=_WHERE)
    reader.unknown(table, _WHERE, {"packaging", "max_bytes"})
    packaging = table.get("packaging")
    if packaging not in PACKAGINGS:
        reader.problem(f"{_WHERE}.packaging", f"must be 'mtom' (xop:Include) or 'swa' "
                       f"(swaRef), got {packaging!r}")
        return None
    max_bytes = table.get("max_bytes", DEFAULT_MAX_BYTES)
    if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes < 1:
        reader.problem(f"{_WHERE}.max_bytes", "must be a whole number of bytes from 1")
        return None
    return AttachmentsSpec(packaging, max_bytes)


def read_attachment_rules(reader: _Reader, section: Mapping[str, Any], where: str,
                          fields: Mapping[str, Any], packaged: bool) -> tuple[AttachmentRule, ...]:
    """A section's ``attachments`` table; ``fields`` are the section's other field rules."""
    table = reader.table(dict(section), "attachments", where=f"{where}.attachments")
    if table and not packaged:
        reader.problem(f"{where}.attachments", "attachments need [soap.attachments] packaging "
                       "= \"mtom\" or \"swa\": say how the parts travel", "missing")
    rules = []
    for name, path in table.items():
        key = f'{where}.attachments."{name}"'
        if not _FIELD.fullmatch(name):
            reader.problem(key, "an attachment is a top-level contract field (a document "
                           "reference), not a dotted path")
        elif not isinstance(path, str) or not path:
            reader.problem(key, "must be the path of the element that carries the attachment "
                           "reference, e.g. \"bur:Certificate\"")
        elif name in fields:
            reader.problem(key, f"{name} is mapped in {where}.fields too: an attachment field "
                           "is mapped here only")
        else:
            rules.append(AttachmentRule(field=name, path=path, key=key))
    return tuple(rules)
