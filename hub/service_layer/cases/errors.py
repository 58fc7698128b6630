"""Errors of the case use cases.

HubError
 ├── CaseNotFoundError      no case (or step) with that id
 ├── UnknownCaseTypeError   the hub has no case type of that name@version
 ├── DocumentsMissingError  a document the case type declares was not supplied
 └── StepNotYoursError      a department decided a step of another department's service
"""

from __future__ import annotations

from contracts.errors import HubError


class CaseNotFoundError(HubError):
    """Raised when no case or step has the given id."""

    code = "case-not-found"
    status = 404

    def __init__(self, case_id: str) -> None:
        super().__init__(f"no case or step with id {case_id!r}")


class UnknownCaseTypeError(HubError):
    """Raised when a case names a case type the hub does not run."""

    code = "unknown-case-type"
    status = 422

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"unknown case type {name!r}; known: {', '.join(known) or 'none'}")


class DocumentsMissingError(HubError):
    """Raised when a case is submitted without a document its case type requires."""

    code = "documents-missing"
    status = 422

    def __init__(self, case_type: str, missing: list[str]) -> None:
        super().__init__(f"case type {case_type} needs the documents: {', '.join(missing)}")


class StepNotYoursError(HubError):
    """Raised when a department sends a decision on a step of another department."""

    code = "step-not-yours"
    status = 403

    def __init__(self, step: str, department: str, service: str) -> None:
        super().__init__(f"{department} may not decide step {step}: it runs as {service}")
