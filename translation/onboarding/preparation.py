"""The WSDL's gathered schemas made ready to compile: names, SOAP encoding, rpc wrappers.

Both the scaffold and the mapping engine read a WSDL the same way; between
gathering its schemas and compiling them, :func:`prepare_schemas` applies,
in order, what makes real-world rpc/encoded WSDLs loadable:

1. (:func:`check_names`, before references are followed) names that are no
   XML names are refused; names with stray whitespace are refused (strict) or
   trimmed and reported (lenient) — :mod:`translation.onboarding.names`;
2. the SOAP encoding schema is gathered when imported by namespace only, and
   SOAP-encoded arrays are refused when the hub cannot map them or rewritten
   as their items — :mod:`translation.onboarding.soapenc`;
3. every rpc operation's wrapper elements are declared —
   :mod:`translation.onboarding.rpc`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from translation.onboarding.errors import InvalidSchema
from translation.onboarding.loader import OfflineLoader
from translation.onboarding.names import invalid_names, stray_names, trim_names
from translation.onboarding.report import TRIMMED_NAME, ToleranceLog, Tolerated
from translation.onboarding.rpc import rpc_documents
from translation.onboarding.schemas import SchemaDocuments
from translation.onboarding.soapenc import (
    EncodedArray,
    add_encoding_schema,
    refuse_unsupported_arrays,
    rewrite_arrays,
)
from translation.onboarding.wsdl import Port, WsdlDocuments


@dataclass(frozen=True)
class PreparedSchemas:
    """What preparing the schemas found: the SOAP-encoded arrays, by type."""

    arrays: dict[str, EncodedArray] = field(default_factory=dict)


def check_names(
    loader: OfflineLoader, gathered: SchemaDocuments, *, lenient: bool, log: ToleranceLog
) -> tuple[str, ...]:
    """Refuse names that are no XML names; trim stray whitespace (lenient) or refuse it.

    Runs on every document read so far (WSDLs and schemas, as read: they know
    their lines) before any reference is followed. Returns what was trimmed.
    """
    originals = [loader.read(source) for source in loader.sources]
    invalid = invalid_names(originals)
    if invalid:
        raise InvalidSchema(f"{invalid[0].path}: {invalid[0].reason}", issues=tuple(invalid))
    strays = stray_names(originals)
    if strays and not lenient:
        first = strays[0]
        raise InvalidSchema(
            f"{first.path}: {first.reason}; pass --lenient (in a mapping file: lenient = true "
            "under [soap]) to trim such names",
            issues=tuple(strays),
        )
    trim_names(gathered.documents)
    for issue in strays:
        file, _, line = issue.path.rpartition(":")
        log.add(Tolerated(TRIMMED_NAME, file, int(line) if line.isdigit() else None,
                          issue.reason, "trimmed"))
    return tuple(f"trimmed at {issue.path}: {issue.reason}" for issue in strays)


def prepare_schemas(
    docs: WsdlDocuments,
    gathered: SchemaDocuments,
    loader: OfflineLoader,
    ports: Sequence[Port],
) -> PreparedSchemas:
    """Make ``gathered`` (the copies to compile) ready; raises :class:`InvalidSchema`."""
    originals = [loader.read(source) for source in loader.sources]
    add_encoding_schema(gathered, loader)
    refuse_unsupported_arrays(originals)
    arrays = rewrite_arrays(gathered.documents)
    gathered.documents.extend(rpc_documents(ports, docs.target_namespace, gathered.documents))
    return PreparedSchemas(arrays)
