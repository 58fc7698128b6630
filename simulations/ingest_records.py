"""Records departments submit to ingest, in their native formats (benchmark and tests).

Two departments issue citizens' contribution histories (eleven insured
periods, like the translation benchmark):

- ``social-security`` submits SOAP 1.1 envelopes whose body is its
  ``GetInsuranceRecordResponse`` (its declarative mapping), as a legacy stack
  writes them: ns-prefixed, one element per line, a header block; about 3.7 KB.
- ``pensions`` submits its own JSON dialect (its JSON mapping); about 1.7 KB.

Bodies differ per record by the citizen's national id, substituted into one
encoded template so that making 100,000 of them costs nothing worth measuring.
"""

from __future__ import annotations

import json

from hub.service_layer.ingest import IngestSource
from simulations.departments import MAPPINGS, SOCIAL_SECURITY_MAPPING
from simulations.sample_records import TEMPLATE_ID, history, soap_envelope
from translation.mapping import CompiledMapping, load_mapping

CONTRACT = "social-security.contribution-history@1.0"
PENSIONS_MAPPING = MAPPINGS / "pensions.contribution-history.toml"
SOAP_DEPARTMENT = "social-security"
JSON_DEPARTMENT = "pensions"

SOURCES = (
    IngestSource(SOAP_DEPARTMENT, CONTRACT, "soap", str(SOCIAL_SECURITY_MAPPING)),
    IngestSource(JSON_DEPARTMENT, CONTRACT, "json", str(PENSIONS_MAPPING)),
)


def national_id(n: int) -> str:
    """The n-th citizen's national id (distinct for n < 10**8)."""
    return f"{n % 10**8:08d}-{(n * 7919) % 10**4:04d}"


class RecordFactory:
    """Native bodies of contribution histories, one per citizen number."""

    def __init__(self) -> None:
        self.soap_mapping: CompiledMapping = load_mapping(SOCIAL_SECURITY_MAPPING)
        self.json_mapping: CompiledMapping = load_mapping(PENSIONS_MAPPING)
        template = history()
        self._soap = soap_envelope(self.soap_mapping, template)
        self._json = json.dumps(self.json_mapping.response.encode(template)).encode()

    def soap(self, n: int) -> bytes:
        return self._soap.replace(TEMPLATE_ID.encode(), national_id(n).encode())

    def json(self, n: int) -> bytes:
        return self._json.replace(TEMPLATE_ID.encode(), national_id(n).encode())
