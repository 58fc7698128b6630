"""Errors raised while onboarding a department from its WSDL.

HubError                          (contracts.errors)
└── AdapterError                  (translation.errors)
    └── OnboardingError           a WSDL cannot be scaffolded as it stands
        ├── UnreadableDocument    not XML, forbidden XML (DTD, entities), missing or unreadable file
        ├── ForbiddenLocation     a location that is not a local file (the tool never fetches)
        ├── CatalogError          the XML catalog itself is unusable
        ├── UnresolvedImport      an import by URL that the catalog does not map to a local copy
        ├── DanglingReference     a reference to something the WSDL or its schemas never declare
        ├── InvalidSchema         the schemas do not compile (xmlschema's errors, translated)
        └── UnwritableOutput      a skeleton or the report cannot be written where asked

Each error carries one :class:`FieldIssue` per problem: ``path`` is ``file:line``
(or the URL concerned), ``reason`` says what to do about it.
"""

from __future__ import annotations

from contracts.errors import FieldIssue
from translation.errors import AdapterError


class OnboardingError(AdapterError):
    """Raised when a WSDL (or what it imports) cannot be scaffolded."""

    code = "onboarding-error"


class UnreadableDocument(OnboardingError):
    """Raised when a WSDL, schema or catalog file is missing, not XML, or uses forbidden XML."""

    code = "unreadable-document"


class ForbiddenLocation(OnboardingError):
    """Raised when a location is a non-file URL: onboarding reads local files only."""

    code = "forbidden-location"


class CatalogError(OnboardingError):
    """Raised when the OASIS XML catalog is malformed or maps a URL onto a non-local target."""

    code = "catalog-error"


class UnresolvedImport(OnboardingError):
    """Raised when an import by URL is not mapped onto a local copy by the catalog."""

    code = "unresolved-import"


class DanglingReference(OnboardingError):
    """Raised when a QName reference (message, binding, part, element...) is not declared."""

    code = "dangling-reference"


class InvalidSchema(OnboardingError):
    """Raised when the WSDL's schemas do not compile."""

    code = "invalid-schema"


class UnwritableOutput(OnboardingError):
    """Raised when a skeleton or the ``--report`` file cannot be written (the OS says why)."""

    code = "unwritable-output"

    @classmethod
    def of(cls, path: object, exc: OSError) -> UnwritableOutput:
        reason = f"cannot write {path}: {exc.strerror or exc}"
        return cls(reason, issues=(FieldIssue(path=str(path), reason=reason, code=cls.code),))
