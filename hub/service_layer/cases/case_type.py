"""Case types, declared in TOML: what one application fans out to, and how.

A case type names the application contract, the documents the applicant supplies once,
the steps (each a service ``region/department/service``, possibly in another region),
which steps wait for which, where each step's input comes from, the time limits, and the
result the applicant receives. ``docs/cases.md`` describes the format; this module reads
it into :class:`CaseType`, recording every problem as a :class:`Finding` that names the
file, the step and the key, so that ``interop-hub cases check`` can list them all at once.

An input source is one of:

- ``application.<path>``: a field of the application (dotted path);
- ``documents.<name>``: the id of a document the applicant supplied, by its declared name;
- ``steps.<step>.<path>``: a field of an earlier step's answer;
- ``{ value = ... }``: a constant.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts.base import ContractId, ContractIdError
from contracts.errors import HubError
from contracts.identity import IdentifierError, ServiceId
from hub.domain.time_limit import LimitUnit, TimeLimit, TimeLimitError

MODES = ("query", "application")
"""A query step is answered at once; an application step is acknowledged, decided later."""
_TOP_KEYS = {"case_type", "document", "step", "result"}
_CASE_KEYS = {"id", "title", "application", "region", "time_limit", "calendars"}
_STEP_KEYS = {"name", "service", "purpose", "mode", "after", "time_limit", "input",
              "recognise", "description"}
_ORIGINS = ("application", "documents", "steps")


@dataclass(frozen=True)
class Finding:
    """One problem in a case-type file: where (file, step, key) and what."""

    file: str
    step: str
    key: str
    message: str

    def __str__(self) -> str:
        step = f"step {self.step}: " if self.step else ""
        key = f"{self.key}: " if self.key else ""
        return f"{self.file}: {step}{key}{self.message}"


@dataclass(frozen=True)
class Source:
    """Where one input field comes from."""

    origin: str  # application | documents | steps | value
    path: str = ""  # dotted field path (application, steps) or document name
    step: str = ""  # the earlier step (steps)
    value: Any = None  # the constant (value)


@dataclass(frozen=True)
class Step:
    """One department's part of a case."""

    name: str
    service: ServiceId
    purpose: str
    mode: str
    after: tuple[str, ...]
    time_limit: TimeLimit
    inputs: dict[str, Source]
    recognise: str = ""  # an earlier step whose record is recognised by its attestation
    description: str = ""


@dataclass(frozen=True)
class CaseType:
    """A declared case type, read from its file."""

    id: ContractId
    title: str
    application: str
    region: str
    time_limit: TimeLimit
    steps: tuple[Step, ...]
    documents: tuple[str, ...]
    result: str
    result_steps: tuple[str, ...]
    calendars: Path
    source: Path = field(compare=False)

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)

    def prerequisites(self, name: str) -> set[str]:
        """Every step that ``name`` waits for, directly or through others."""
        seen: set[str] = set()
        todo = list(self.step(name).after)
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(self.step(current).after)
        return seen


class CaseTypeError(HubError):
    """Raised when a case-type file has problems; ``findings`` lists every one."""

    code = "invalid-case-type"
    status = 422

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("; ".join(str(f) for f in findings))
        self.findings = findings


def parse_source(text: object) -> Source:
    """An input source as written in ``[step.input]``; ValueError says what is wrong."""
    if isinstance(text, dict):
        if set(text) != {"value"}:
            raise ValueError("a constant is written { value = ... }")
        return Source("value", value=text["value"])
    if not isinstance(text, str):
        raise ValueError("a source is a string such as 'application.national_id'")
    origin, _, rest = text.partition(".")
    if origin not in _ORIGINS or not rest:
        raise ValueError(f"{text!r} does not start with one of {', '.join(_ORIGINS)} "
                         "followed by a field")
    if origin == "steps":
        step, _, path = rest.partition(".")
        if not path:
            raise ValueError(f"{text!r} names no field of step {step!r}")
        return Source("steps", path=path, step=step)
    return Source(origin, path=rest)


class _Reader:
    """Reads one file, collecting findings instead of stopping at the first."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.findings: list[Finding] = []

    def problem(self, step: str, key: str, message: str) -> None:
        self.findings.append(Finding(str(self.path), step, key, message))

    def limit(self, step: str, key: str, value: object) -> TimeLimit:
        try:
            return TimeLimit.parse(value)
        except TimeLimitError as exc:
            self.problem(step, key, exc.message)
            return TimeLimit(1, LimitUnit.CALENDAR)

    def unknown(self, table: dict[str, Any], known: set[str], step: str, prefix: str) -> None:
        for key in sorted(set(table) - known):
            self.problem(step, f"{prefix}{key}", f"unknown key (known: {', '.join(sorted(known))})")

    def text(self, table: dict[str, Any], key: str, step: str, prefix: str) -> str:
        value = table.get(key)
        if not isinstance(value, str) or not value:
            self.problem(step, f"{prefix}{key}", "required: a non-empty string")
            return ""
        return value


def read_case_type(path: Path) -> tuple[CaseType | None, list[Finding]]:
    """Read a case-type file; the case type (None if unusable) and every syntax problem."""
    reader = _Reader(path)
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except OSError as exc:
        reader.problem("", "", f"cannot read: {exc.strerror}")
        return None, reader.findings
    except tomllib.TOMLDecodeError as exc:
        reader.problem("", "", f"not TOML: {exc}")
        return None, reader.findings
    reader.unknown(document, _TOP_KEYS, "", "")
    head = document.get("case_type")
    if not isinstance(head, dict):
        reader.problem("", "case_type", "required: a [case_type] table")
        return None, reader.findings
    reader.unknown(head, _CASE_KEYS, "", "case_type.")
    case_id = ContractId("invalid", 0, 0)
    try:
        case_id = ContractId.parse(reader.text(head, "id", "", "case_type."))
    except ContractIdError as exc:
        reader.problem("", "case_type.id", exc.message)
    documents = _documents(reader, document.get("document", []))
    steps = tuple(_step(reader, i, t) for i, t in enumerate(document.get("step", [])))
    result = document.get("result", {})
    if not isinstance(result, dict):
        result = {}
        reader.problem("", "result", "required: a [result] table")
    reader.unknown(result, {"contract", "steps"}, "", "result.")
    case_type = CaseType(
        id=case_id,
        title=reader.text(head, "title", "", "case_type."),
        application=reader.text(head, "application", "", "case_type."),
        region=reader.text(head, "region", "", "case_type."),
        time_limit=reader.limit("", "case_type.time_limit", head.get("time_limit")),
        steps=steps,
        documents=documents,
        result=reader.text(result, "contract", "", "result."),
        result_steps=tuple(str(s) for s in result.get("steps", [])),
        calendars=(path.parent / str(head.get("calendars", "../calendars"))).resolve(),
        source=path,
    )
    if not steps:
        reader.problem("", "step", "a case type has at least one [[step]]")
    return case_type, reader.findings


def _documents(reader: _Reader, tables: object) -> tuple[str, ...]:
    names: list[str] = []
    for index, table in enumerate(tables if isinstance(tables, list) else []):
        name = reader.text(table, "name", "", f"document[{index}].")
        if name in names:
            reader.problem("", f"document[{index}].name", f"{name!r} is declared twice")
        names.append(name)
    return tuple(names)


def _step(reader: _Reader, index: int, table: dict[str, Any]) -> Step:
    name = reader.text(table, "name", "", f"step[{index}].") or f"step[{index}]"
    reader.unknown(table, _STEP_KEYS, name, "")
    service = ServiceId("invalid", "invalid", "invalid")
    try:
        service = ServiceId.parse(reader.text(table, "service", name, ""))
    except IdentifierError as exc:
        reader.problem(name, "service", exc.message)
    mode = table.get("mode", "query")
    if mode not in MODES:
        reader.problem(name, "mode", f"{mode!r} is not one of {', '.join(MODES)}")
    after = table.get("after", [])
    if not isinstance(after, list) or not all(isinstance(a, str) for a in after):
        reader.problem(name, "after", "a list of step names")
        after = []
    inputs: dict[str, Source] = {}
    raw = table.get("input", {})
    for key, text in (raw.items() if isinstance(raw, dict) else []):
        try:
            inputs[key] = parse_source(text)
        except ValueError as exc:
            reader.problem(name, f"input.{key}", str(exc))
    if not isinstance(raw, dict) or not raw:
        reader.problem(name, "input", "required: a [step.input] table")
    return Step(
        name=name,
        service=service,
        purpose=reader.text(table, "purpose", name, ""),
        mode=str(mode),
        after=tuple(after),
        time_limit=reader.limit(name, "time_limit", table.get("time_limit")),
        inputs=inputs,
        recognise=str(table.get("recognise", "")),
        description=str(table.get("description", "")),
    )
