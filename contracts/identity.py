"""Region and department names (cf. X-Road identifiers: region/department/service)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from contracts.errors import FieldIssue, HubError

REGION_CODE_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$|^[A-Z]{2}-[A-Z0-9]{1,3}$"
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_REGION = re.compile(REGION_CODE_PATTERN)


class IdentifierError(HubError):
    """Raised when a region, department or service identifier is malformed."""

    code = "bad-identifier"
    status = 400

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(
            f"{text!r} {reason}",
            issues=(FieldIssue(path="$", reason=reason, code=self.code, field="service"),),
        )


@dataclass(frozen=True, order=True)
class DepartmentId:
    """A department of a region, written ``region/department``."""

    region: str
    department: str

    @classmethod
    def parse(cls, text: str) -> DepartmentId:
        region, sep, department = text.partition("/")
        if not sep or not _REGION.match(region) or not _NAME.match(department):
            raise IdentifierError(text, "is not a department id of the form region/department")
        return cls(region, department)

    def __str__(self) -> str:
        return f"{self.region}/{self.department}"


@dataclass(frozen=True, order=True)
class ServiceId:
    """A service, written ``region/department/service`` (e.g. ``north/tax/tax-clearance``)."""

    region: str
    department: str
    service: str

    @classmethod
    def parse(cls, text: str) -> ServiceId:
        parts = text.split("/")
        if (
            len(parts) != 3
            or not _REGION.match(parts[0])
            or not _NAME.match(parts[1])
            or not _NAME.match(parts[2])
        ):
            raise IdentifierError(text, "is not a service id of the form region/department/service")
        return cls(*parts)

    @property
    def provider(self) -> DepartmentId:
        return DepartmentId(self.region, self.department)

    def __str__(self) -> str:
        return f"{self.region}/{self.department}/{self.service}"
