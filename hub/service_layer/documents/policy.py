"""What each service accepts as documents: size, media types, active content in PDFs.

Declared in the services file, one ``[[documents]]`` table per service that differs from
the defaults (a service without one gets them)::

    [[documents]]
    service = "north/social-security/benefit-claim"
    max_bytes = 52428800                        # default HUB_DOCUMENT_MAX_BYTES (20 MiB)
    media_types = ["application/pdf", "image/png"]   # default PDF, PNG, JPEG, XML
    allow_pdf_javascript = false                # default false
    allow_pdf_embedded_files = false            # default false
    retention = "P2Y"                           # default: the purpose's retention period

``retention`` (an ISO 8601 duration, checked as a purpose's is: :mod:`hub.domain.retention`)
is how long the service's documents are kept; without it, a document is kept as long as
the purpose it was supplied for says, and with neither, until its subject is forgotten.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.errors import HubError
from contracts.identity import ServiceId
from hub.adapters.documents.errors import DocumentError
from hub.adapters.documents.sniffing import DEFAULT_ALLOWED
from hub.domain.retention import RetentionPeriodError, check_period

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
"""HubSettings.document_max_bytes's default, for a policy built without settings."""


class DocumentPolicyError(DocumentError):
    """Raised when a ``[[documents]]`` table cannot be read (file, index and key named)."""

    code = "document-policy"
    status = 500


@dataclass(frozen=True)
class DocumentPolicy:
    """The door of one service: what it accepts."""

    max_bytes: int = DEFAULT_MAX_BYTES
    media_types: tuple[str, ...] = DEFAULT_ALLOWED
    allow_pdf_javascript: bool = False
    allow_pdf_embedded_files: bool = False
    retention: str = ""  # ISO 8601 duration; "" the purpose's retention applies


class DocumentPolicies:
    """Each service's policy; the defaults for a service that declares none."""

    def __init__(self, declared: Mapping[str, DocumentPolicy] | None = None,
                 default: DocumentPolicy | None = None) -> None:
        self._declared = dict(declared or {})
        self.default = default or DocumentPolicy()

    def of(self, service: str) -> DocumentPolicy:
        """The policy of ``service`` (``region/department/service``)."""
        return self._declared.get(service, self.default)


def load_document_policies(path: Path, default: DocumentPolicy) -> DocumentPolicies:
    """Read the ``[[documents]]`` tables of a services file (none is fine); ``default`` is
    the door of every service not named, and the defaults of the keys a table leaves out."""
    with path.open("rb") as handle:
        document = tomllib.load(handle)
    return DocumentPolicies(dict(_policies(document.get("documents", []), path, default)),
                            default)


def _policies(tables: Iterable[Mapping[str, Any]], path: Path,
              default: DocumentPolicy) -> Iterable[tuple[str, DocumentPolicy]]:
    for index, table in enumerate(tables):
        where = f"{path}: documents[{index}]"
        retention = _retention(table, where)
        try:
            service = str(ServiceId.parse(str(table["service"])))
            policy = DocumentPolicy(
                max_bytes=int(table.get("max_bytes", default.max_bytes)),
                media_types=tuple(str(t) for t in table.get("media_types",
                                                            default.media_types)),
                allow_pdf_javascript=bool(table.get("allow_pdf_javascript",
                                                    default.allow_pdf_javascript)),
                allow_pdf_embedded_files=bool(table.get("allow_pdf_embedded_files",
                                                        default.allow_pdf_embedded_files)),
                retention=retention,
            )
        except KeyError as exc:
            raise DocumentPolicyError(f"{where} lacks {exc.args[0]!r}",
                                      path=where, field=str(exc.args[0])) from None
        except (TypeError, ValueError) as exc:
            raise DocumentPolicyError(f"{where}: {exc}", path=where) from None
        except HubError as exc:  # the service id is malformed
            raise DocumentPolicyError(f"{where}: {exc.message}", path=where,
                                      field="service") from None
        if policy.max_bytes <= 0:
            raise DocumentPolicyError(f"{where}: max_bytes must be positive",
                                      path=where, field="max_bytes")
        yield service, policy


def _retention(table: Mapping[str, Any], where: str) -> str:
    """The table's ``retention`` (an ISO 8601 duration), checked; "" when not stated."""
    value = table.get("retention", "")
    if not isinstance(value, str):
        raise DocumentPolicyError(
            f'{where}: retention must be a string, an ISO 8601 duration such as "P5Y"',
            path=where, field="retention")
    if not value:
        return ""
    try:
        return check_period(value)
    except RetentionPeriodError as exc:
        raise DocumentPolicyError(f"{where}: retention {exc.message}", path=where,
                                  field="retention") from None
