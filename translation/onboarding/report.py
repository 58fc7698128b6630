"""What a scaffold tolerated, skipped or left unresolved: one record each, with a stable code.

Lenient onboarding goes on past faults a strict reading refuses; an operator
must be able to review every one of them. Each is a :class:`Tolerated` record
(code, file, line, construct, what was done), collected in a
:class:`ToleranceLog` while the WSDL is read, shown by ``adapter scaffold`` and
written as JSON by ``adapter scaffold --report FILE.json``.

Codes are stable (scripts and reviews key on them); each is listed in
:data:`CODES` with what it means.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lxml import etree

from translation.onboarding.errors import UnwritableOutput

REPORT_VERSION = 1

CASE_MISMATCH = "case-mismatch"
MISSING_IMPORT = "missing-import"
UNRESOLVED_IMPORT = "unresolved-import"
SCHEMA_ERROR = "schema-error"
MIME_ATTACHMENT = "mime-attachment"
SKIPPED_BINDING = "skipped-binding"
SKIPPED_CONSTRUCT = "skipped-construct"
TRIMMED_NAME = "trimmed-name"

CODES = {
    CASE_MISMATCH: "a reference differs from a declaration only in letter case; resolved to it",
    MISSING_IMPORT: "a schema uses a namespace it never xs:imports; resolved from another "
    "schema of the WSDL or from the catalog",
    UNRESOLVED_IMPORT: "an import the catalog does not map; what depends on it is unresolved",
    SCHEMA_ERROR: "a schema error xmlschema tolerated in lax mode; the component concerned "
    "may be incomplete",
    MIME_ATTACHMENT: "a MIME (SwA) or swaRef part: marked as an attachment, not mapped as XML",
    SKIPPED_BINDING: "a binding that is not SOAP (HTTP, MIME only): nothing to scaffold",
    SKIPPED_CONSTRUCT: "a construct the scaffold cannot describe; left out",
    TRIMMED_NAME: "a name with surrounding whitespace; trimmed",
}


@dataclass(frozen=True)
class Tolerated:
    """One fault tolerated (or construct skipped): where it is, what it is, what was done."""

    code: str  # one of CODES
    file: str  # the file's name as read ("?" when unknown)
    line: int | None
    construct: str  # e.g. "xs:element type=b:Person"
    action: str  # what the scaffold did about it, e.g. "imported namespace urn:b from ..."

    @classmethod
    def at(cls, element: etree._Element, code: str, construct: str, action: str) -> Tolerated:
        """A record placed at ``element`` (its document's file name and line)."""
        url = element.getroottree().docinfo.URL
        name = Path(unquote(urlsplit(url).path)).name if url else "?"
        return cls(code, name, element.sourceline, construct, action)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    def __str__(self) -> str:
        return f"[{self.code}] {self.where}: {self.construct}: {self.action}"


class ToleranceLog:
    """The records of one scaffold, in the order met, each once."""

    def __init__(self) -> None:
        self._records: dict[Tolerated, None] = {}

    def add(self, record: Tolerated) -> None:
        self._records.setdefault(record)

    def __iter__(self) -> Iterator[Tolerated]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def of(self, code: str) -> list[Tolerated]:
        return [r for r in self._records if r.code == code]


def report_document(wsdl: Path, records: tuple[Tolerated, ...], operations: int) -> dict:
    """The JSON document ``--report`` writes: version, WSDL, counts and every record."""
    counts: dict[str, int] = {}
    for record in records:
        counts[record.code] = counts.get(record.code, 0) + 1
    return {
        "version": REPORT_VERSION,
        "wsdl": str(wsdl),
        "operations": operations,
        "counts": dict(sorted(counts.items())),
        "tolerated": [asdict(r) for r in records],
    }


def write_report(path: Path, document: dict) -> None:
    """Write ``document`` as indented JSON (parent folders created)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
    except OSError as exc:
        raise UnwritableOutput.of(path, exc) from None
