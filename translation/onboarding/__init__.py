"""Onboarding a department from its WSDL, offline: describe it, write mapping skeletons.

Public surface: :func:`describe_wsdl`, :func:`write_skeletons`,
:func:`render_skeleton`, :class:`ScaffoldOptions`, :class:`XmlCatalog`,
:class:`OfflineLoader`, the errors of :mod:`translation.onboarding.errors` and the
records of what lenient reading tolerated (:class:`Tolerated`, :class:`ToleranceLog`).
"""

from translation.onboarding.catalog import XmlCatalog, catalog_line
from translation.onboarding.errors import (
    CatalogError,
    DanglingReference,
    ForbiddenLocation,
    InvalidSchema,
    OnboardingError,
    UnreadableDocument,
    UnresolvedImport,
    UnwritableOutput,
)
from translation.onboarding.loader import OfflineLoader, Source
from translation.onboarding.report import ToleranceLog, Tolerated
from translation.onboarding.scaffold import (
    MessageShape,
    OperationShape,
    PartShape,
    ScaffoldOptions,
    WsdlScaffold,
    describe_wsdl,
)
from translation.onboarding.skeleton import render_skeleton, write_skeletons

__all__ = [
    "CatalogError",
    "DanglingReference",
    "ForbiddenLocation",
    "InvalidSchema",
    "MessageShape",
    "OfflineLoader",
    "OnboardingError",
    "OperationShape",
    "PartShape",
    "ScaffoldOptions",
    "Source",
    "ToleranceLog",
    "Tolerated",
    "UnreadableDocument",
    "UnresolvedImport",
    "UnwritableOutput",
    "WsdlScaffold",
    "XmlCatalog",
    "catalog_line",
    "describe_wsdl",
    "render_skeleton",
    "write_skeletons",
]
