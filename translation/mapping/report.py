"""Findings about a mapping file, collected while it is compiled.

Compiling a mapping *is* checking it: the compiler records every problem it
meets (unknown field or path, type mismatch, unmapped required field, an
undeclared lossy transform...) and every declared lossy transform. Loading a
mapping for use refuses it when there is an error; ``adapter check`` prints
them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from contracts.errors import FieldIssue
from translation.mapping.errors import MappingFileError

Level = Literal["error", "lossy", "note"]


@dataclass(frozen=True)
class Finding:
    """One finding: ``key`` says where in the file (``response.fields."as_of"``)."""

    level: Level
    key: str
    message: str
    code: str


@dataclass
class Report:
    """Everything compiling one mapping file found, in file order."""

    source: Path
    findings: list[Finding] = field(default_factory=list)

    def error(self, key: str, message: str, code: str) -> None:
        self.findings.append(Finding("error", key, message, code))

    def lossy(self, key: str, message: str) -> None:
        self.findings.append(Finding("lossy", key, message, "lossy"))

    def note(self, key: str, message: str, code: str) -> None:
        self.findings.append(Finding("note", key, message, code))

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    def of(self, level: Level) -> list[Finding]:
        return [f for f in self.findings if f.level == level]

    def raise_if_errors(self) -> None:
        """Raise :class:`MappingFileError` with one issue per error, if there is any."""
        errors = self.errors
        if not errors:
            return
        first = errors[0]
        raise MappingFileError(
            f"{self.source}: {len(errors)} problem(s); first: {first.key}: {first.message}",
            issues=tuple(FieldIssue(path=f"{self.source}:{f.key}", reason=f.message, code=f.code)
                         for f in errors),
        )
