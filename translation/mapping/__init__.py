"""Declarative mappings: a department's native messages <-> contracts, from a TOML file.

An integrator describes a department service in one mapping file (see
:mod:`translation.mapping.spec` for the format); :func:`load_mapping` compiles it
once into precompiled plans — schema-aware XML readers, bound transform
callables, compiled libxml2 / JSON Schema validators — that decode and encode
every message without looking at the file again. :func:`compile_mapping`
returns the findings instead of raising (``interop-hub adapter check``).

The provider adapters built on them are :class:`SoapMappingProvider` and
:class:`JsonMappingProvider` (imported from their modules, which need the HTTP client).
"""

from translation.mapping.compiled import CompiledMapping, compile_mapping, load_mapping
from translation.mapping.errors import MappingFileError, ProviderRequestInvalid
from translation.mapping.report import Finding, Report
from translation.mapping.spec import MappingSpec, load_spec

__all__ = [
    "CompiledMapping",
    "Finding",
    "MappingFileError",
    "MappingSpec",
    "ProviderRequestInvalid",
    "Report",
    "compile_mapping",
    "load_mapping",
    "load_spec",
]
