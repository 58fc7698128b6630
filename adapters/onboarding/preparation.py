"""The WSDL's gathered schemas made ready to compile: names, SOAP encoding, rpc wrappers.

Both the scaffold and the mapping engine read a WSDL the same way; between
gathering its schemas and compiling them, :func:`prepare_schemas` applies,
in order, what makes real-world rpc/encoded WSDLs loadable:

1. names with stray whitespace are refused (strict) or trimmed and reported
   (lenient) — :mod:`adapters.onboarding.names`;
2. the SOAP encoding schema is gathered when imported by namespace only, and
   SOAP-encoded arrays are refused when the hub cannot map them or rewritten
   as their items — :mod:`adapters.onboarding.soapenc`;
3. every rpc operation's wrapper elements are declared —
   :mod:`adapters.onboarding.rpc`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from adapters.onboarding.errors import InvalidSchema
from adapters.onboarding.loader import OfflineLoader
from adapters.onboarding.names import stray_names, trim_names
from adapters.onboarding.rpc import rpc_documents
from adapters.onboarding.schemas import SchemaDocuments
from adapters.onboarding.soapenc import (
    EncodedArray,
    add_encoding_schema,
    refuse_unsupported_arrays,
    rewrite_arrays,
)
from adapters.onboarding.wsdl import Port, WsdlDocuments


@dataclass(frozen=True)
class PreparedSchemas:
    """What preparing the schemas found: the encoded arrays, and what lenient mode trimmed."""

    arrays: dict[str, EncodedArray] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def prepare_schemas(
    docs: WsdlDocuments,
    gathered: SchemaDocuments,
    loader: OfflineLoader,
    ports: Sequence[Port],
    *,
    lenient: bool,
) -> PreparedSchemas:
    """Make ``gathered`` (the copies to compile) ready; raises :class:`InvalidSchema`."""
    originals = [loader.read(source) for source in loader.sources]
    strays = stray_names(originals)
    if strays and not lenient:
        first = strays[0]
        raise InvalidSchema(
            f"{first.path}: {first.reason}; pass --lenient (in a mapping file: lenient = true "
            "under [soap]) to trim such names",
            issues=tuple(strays),
        )
    trim_names(gathered.documents)
    add_encoding_schema(gathered, loader)
    refuse_unsupported_arrays(originals)
    arrays = rewrite_arrays(gathered.documents)
    gathered.documents.extend(rpc_documents(ports, docs.target_namespace, gathered.documents))
    return PreparedSchemas(
        arrays, tuple(f"trimmed at {issue.path}: {issue.reason}" for issue in strays)
    )
