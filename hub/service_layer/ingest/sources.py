"""Ingest sources: which department may submit which contract's records, in which format.

Declared in the services file beside the services and subscriptions::

    [[ingest]]
    department = "social-security"                      # a department of this region
    contract = "social-security.contribution-history@1.0"
    format = "soap"                                      # soap | json
    mapping = "mappings/social-security.contribution-history.toml"  # relative to the file

A ``soap`` source needs a mapping: the submission is a SOAP 1.1 envelope whose
body is the mapping's element for that contract (its response, or its request
when that is the contract). A ``json`` source with a mapping speaks the
department's own JSON dialect; without one it sends the contract's JSON.
:class:`SourceBook` compiles every mapping once; each worker process builds its own.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts import Contract, ContractRegistry
from contracts.errors import HubError
from hub.service_layer.ingest.errors import IngestConfigError, UnknownIngestSource
from hub.service_layer.ingest.subjects import FORMATS
from translation.json_codec import decode_json
from translation.json_reader import JsonLimits, read_json
from translation.mapping import CompiledMapping, load_mapping
from translation.mapping.json_plan import JsonSection
from translation.mapping.xml_plan import XmlSection
from translation.soap_envelope import parse_envelope
from translation.xml_safety import XmlLimits

Decoder = Callable[[bytes], Contract]


@dataclass(frozen=True)
class IngestSource:
    """One department's right to submit one contract's records, and how they are written."""

    department: str
    contract: str
    format: str = "json"
    mapping: str | None = None


@dataclass(frozen=True)
class Source:
    """A compiled source: its declaration, its contract model and its decoder."""

    declared: IngestSource
    model: type[Contract]
    decode: Decoder


class SourceBook:
    """The compiled sources of one hub, looked up by (department, contract)."""

    def __init__(self, sources: Sequence[IngestSource], registry: ContractRegistry,
                 *, max_bytes: int) -> None:
        self._limits = XmlLimits(max_bytes=max_bytes)
        self._by_key: dict[tuple[str, str], Source] = {}
        for declared in sources:
            key = (declared.department, declared.contract)
            if key in self._by_key:
                raise IngestConfigError(f"ingest source {declared.department}/"
                                        f"{declared.contract} is declared twice")
            self._by_key[key] = self._compile(declared, registry)

    def get(self, department: str, contract: str) -> Source:
        """The source, or UnknownIngestSource naming the known ones."""
        found = self._by_key.get((department, contract))
        if found is None:
            raise UnknownIngestSource(department, contract,
                                      sorted(f"{d}/{c}" for d, c in self._by_key))
        return found

    def __len__(self) -> int:
        return len(self._by_key)

    def _compile(self, declared: IngestSource, registry: ContractRegistry) -> Source:
        where = f"ingest source {declared.department}/{declared.contract}"
        if declared.format not in FORMATS:
            raise IngestConfigError(f"{where}: format {declared.format!r} is not one of "
                                    f"{', '.join(FORMATS)}")
        try:
            model = registry.get(declared.contract)
            mapping = (load_mapping(declared.mapping, registry=registry)
                       if declared.mapping else None)
        except HubError as exc:
            raise IngestConfigError(f"{where}: {exc.message}") from None
        if mapping is None:
            if declared.format == "soap":
                raise IngestConfigError(f"{where}: a soap source needs a mapping file")
            return Source(declared, model, lambda raw: decode_json(model, raw))
        section = _section_for(mapping, model, where)
        if declared.format == "soap":
            if not isinstance(section, XmlSection):
                raise IngestConfigError(f"{where}: {declared.mapping} is not a SOAP mapping")
            return Source(declared, model, self._soap_decoder(section))
        if not isinstance(section, JsonSection):
            raise IngestConfigError(f"{where}: {declared.mapping} is not a JSON mapping")
        return Source(declared, model, self._json_decoder(section))

    def _json_decoder(self, section: JsonSection[Contract]) -> Decoder:
        """The mapping's decoder behind the strict reader: the same JSON refusals as elsewhere."""
        limits = JsonLimits(max_bytes=self._limits.max_bytes)

        def decode(raw: bytes) -> Contract:
            read_json(raw, limits)  # refuses duplicate keys, NaN, depth... before the mapping reads
            return section.decode_bytes(raw)

        return decode

    def _soap_decoder(self, section: XmlSection[Contract]) -> Decoder:
        limits = self._limits

        def decode(raw: bytes) -> Contract:
            return section.decode(parse_envelope(raw, limits).body)

        return decode


def _section_for(mapping: CompiledMapping, model: type[Contract], where: str
                 ) -> XmlSection[Any] | JsonSection[Any]:
    if mapping.response_contract is model:
        return mapping.response
    if mapping.request_contract is model:
        return mapping.request
    raise IngestConfigError(f"{where}: mapping {mapping.name} maps "
                            f"{mapping.request_contract.contract_id()} and "
                            f"{mapping.response_contract.contract_id()}, not this contract")


def load_ingest_sources(path: Path) -> list[IngestSource]:
    """Read the ``[[ingest]]`` tables of a services file (none is fine)."""
    with path.open("rb") as handle:
        document = tomllib.load(handle)
    found = []
    for index, table in enumerate(document.get("ingest", [])):
        try:
            mapping = table.get("mapping")
            if mapping is not None and not Path(mapping).is_absolute():
                mapping = str((path.parent / mapping).resolve())
            found.append(IngestSource(department=table["department"],
                                      contract=table["contract"],
                                      format=table.get("format", "json"), mapping=mapping))
        except KeyError as exc:
            raise IngestConfigError(f"{path}: ingest[{index}] lacks {exc.args[0]!r}") from None
    return found
