"""Translation benchmark: native message -> validated contract, beside the raw reference.

Two records, both a citizen's contribution history with 11 insured periods:

- SOAP: the social-security bureau's ``GetInsuranceRecordResponse`` in a SOAP
  envelope as a legacy stack writes it (prefixed, a header block): 88 elements,
  about 3.7 KB. Translation is what :class:`SoapMappingProvider` does with an
  answer — hardened parse (:func:`parse_envelope`), libxml2 validation against
  the bureau's XSD, the compiled mapping, pydantic — next to the raw reference:
  lxml parse + libxml2 XSD validation of the same bytes.
- JSON: the same history in a legacy JSON dialect (:data:`JSON_MAPPING`, with its
  JSON Schema). Translation is parse + schema validation (one pydantic-core
  pass) + mapping + pydantic, next to pydantic ``model_validate_json`` of the
  contract's own JSON.

Rates are measured in alternating rounds and the best of each kept, as the
machine may be shared. Goal: >= 0.6 of each reference. A per-stage profile of
the SOAP path is printed too, to show what limits it.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree
from rich.console import Console
from rich.table import Table

from contracts.social_security import ContributionHistory
from simulations.bench.figures import Figure, ratio_of
from simulations.departments import SOCIAL_SECURITY_MAPPING
from simulations.sample_records import history, soap_envelope
from translation.mapping import CompiledMapping, load_mapping
from translation.mapping.json_plan import JsonSection
from translation.mapping.xml_plan import XmlSection
from translation.soap_envelope import SOAP11_NS, parse_envelope
from translation.xml_safety import parse_xml

ROUNDS = 5
ROUND_S = 0.4
GOAL = ">= 0.6 of reference"

# A JSON department serving contribution histories: what the bench's JSON record speaks.
JSON_MAPPING = """
[mapping]
service = "social-security/contribution-history"
request = "social-security.contribution-history-query@1.0"
response = "social-security.contribution-history@1.0"
native = "json"

[json]
request = "GET /v1/persons/{persNo}/periods?from={from}&to={to}"

[request.fields]
national_id = "/persNo"
period_start = { path = "/from", date = "iso" }
period_end = { path = "/to", date = "iso" }

[response.fields]
"person.national_id" = "/holder/persNo"
"person.family_name" = "/holder/name/family"
"person.given_names" = "/holder/name/given"
"person.date_of_birth" = { path = "/holder/birthDate", date = "iso" }
as_of = { path = "/extractedAt", datetime = "iso", lossy = true }

[[response.list]]
field = "periods"
each = "/periods"

[response.list.fields]
employer_id = "/employer/id"
employer_name = "/employer/name"
start = { path = "/from", date = "iso" }
end = { path = "/to", date = "iso" }
contribution_base = { path = "/baseCents", scale = 2 }
currency = "/currency"

[response.schema]
type = "object"
required = ["holder", "periods", "extractedAt"]
additionalProperties = false
properties.extractedAt = { type = "string", format = "date-time" }
properties.holder = { type = "object", required = ["persNo", "name", "birthDate"], properties = { persNo = { type = "string", pattern = "^[0-9]{8}-[0-9]{4}$" }, birthDate = { type = "string", format = "date" }, name = { type = "object", required = ["family", "given"], properties = { family = { type = "string", minLength = 1, maxLength = 60 }, given = { type = "string", minLength = 1, maxLength = 60 } } } } }
properties.periods = { type = "array", items = { type = "object", required = ["employer", "from", "baseCents", "currency"], properties = { employer = { type = "object", required = ["id", "name"], properties = { id = { type = "string", minLength = 1, maxLength = 20 }, name = { type = "string", minLength = 1, maxLength = 60 } } }, from = { type = "string", format = "date" }, to = { type = ["string", "null"], format = "date" }, baseCents = { type = "integer", minimum = 0 }, currency = { type = "string", pattern = "^[A-Z]{3}$" } } } }
"""  # noqa: E501 - JSON Schema members as TOML inline tables, one per line


def run(rounds: int = ROUNDS) -> list[Figure]:
    """Measure both translations beside their references; print and return the figures."""
    console = Console(width=None if sys.stdout.isatty() else 132)
    soap_mapping = load_mapping(SOCIAL_SECURITY_MAPPING)
    with tempfile.TemporaryDirectory(prefix="bench-translation-") as tmp:
        path = Path(tmp) / "contribution-history.json.toml"
        path.write_text(JSON_MAPPING, encoding="utf-8")
        json_mapping = load_mapping(path)
    record = history()
    soap = soap_envelope(soap_mapping, record)
    legacy_json = json.dumps(json_mapping.response.encode(record)).encode()
    contract_json = record.model_dump_json().encode()
    elements = sum(1 for _ in parse_xml(soap).iter())
    console.print(f"  SOAP record: {len(soap):,} bytes, {elements} elements; legacy JSON "
                  f"record: {len(legacy_json):,} bytes; contract JSON: {len(contract_json):,} "
                  "bytes")
    soap_ref, soap_ours = _soap_pair(soap_mapping, soap)
    json_ref, json_ours = _json_pair(json_mapping, legacy_json, contract_json)
    _check(record, soap_ours(), json_ours())
    rates = _alternate({"soap_ref": soap_ref, "soap": soap_ours, "json_ref": json_ref,
                        "json": json_ours}, rounds)
    figures = [
        Figure("translate_soap", round(rates["soap"]), "msg/s", round(rates["soap_ref"]),
               ratio_of(rates["soap"], rates["soap_ref"]), GOAL),
        Figure("translate_json", round(rates["json"]), "msg/s", round(rates["json_ref"]),
               ratio_of(rates["json"], rates["json_ref"]), GOAL),
    ]
    console.print(_table(figures))
    console.print(_profile(soap_mapping, soap))
    return figures


def _soap_pair(mapping: CompiledMapping, data: bytes) -> tuple[Callable[[], Any], ...]:
    section: XmlSection[Any] = mapping.response  # type: ignore[assignment]
    schema = mapping.soap.validator if mapping.soap is not None else None
    if schema is None:
        raise ValueError("the translation bench needs a SOAP mapping")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    body_path = f"{{{SOAP11_NS}}}Body"

    def reference() -> bool:
        root = etree.fromstring(data, parser)
        return bool(schema.validate(root.find(body_path)[0]))

    def translate() -> Any:
        return section.decode(parse_envelope(data).body)

    return reference, translate


def _json_pair(mapping: CompiledMapping, legacy: bytes, contract: bytes
               ) -> tuple[Callable[[], Any], ...]:
    section: JsonSection[Any] = mapping.response  # type: ignore[assignment]
    return (lambda: ContributionHistory.model_validate_json(contract),
            lambda: section.decode_bytes(legacy))


def _check(record: ContributionHistory, soap: Any, from_json: Any) -> None:
    """Both translations give the record back (JSON: but for the lossy as_of)."""
    if soap != record or from_json.periods != record.periods:
        raise AssertionError("translation does not give the record back")


def _alternate(subjects: dict[str, Callable[[], Any]], rounds: int) -> dict[str, float]:
    best = dict.fromkeys(subjects, 0.0)
    for _ in range(rounds):
        for name, subject in subjects.items():
            best[name] = max(best[name], _rate(subject))
    return best


def _rate(subject: Callable[[], Any]) -> float:
    for _ in range(200):  # warm caches before timing
        subject()
    count, started = 0, time.perf_counter()
    deadline = started + ROUND_S
    while True:
        for _ in range(100):
            subject()
        count += 100
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - started)


def _profile(mapping: CompiledMapping, data: bytes) -> Table:
    """Microseconds per message for each stage of the SOAP translation."""
    section: XmlSection[Any] = mapping.response  # type: ignore[assignment]
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    body = parse_envelope(data).body
    data_of = section.frame.build(body)
    stages: dict[str, Callable[[], Any]] = {
        "lxml parse (raw)": lambda: etree.fromstring(data, parser),
        "hardened parse_xml": lambda: parse_xml(data),
        "parse_envelope (parse_xml + SOAP rules)": lambda: parse_envelope(data),
        "libxml2 XSD validation": lambda: section.validate(body),
        "compiled mapping (read + transforms)": lambda: section.frame.build(body),
        "pydantic contract validation": lambda: ContributionHistory.model_validate(data_of),
    }
    table = Table(title="SOAP translation, per stage")
    table.add_column("stage")
    table.add_column("µs/msg", justify="right")
    for name, stage in stages.items():
        table.add_row(name, f"{1e6 / _rate(stage):.1f}")
    return table


def _table(figures: list[Figure]) -> Table:
    table = Table(title="translation (decode + validate + map into the contract)")
    for column in ("figure", "msg/s", "reference msg/s", "ratio", "goal"):
        table.add_column(column)
    for f in figures:
        table.add_row(f.key, f"{f.value:,.0f}", f"{f.reference or 0:,.0f}",
                      f"{f.ratio or 0:.2f}", f.goal)
    return table


if __name__ == "__main__":
    run()
