"""JSON mappings without the shipped ones' help: lists, nulls, pointers, and the schema compiler."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from contracts.errors import ContractError
from translation.errors import MappingError, SchemaViolation
from translation.mapping import compile_mapping, load_mapping
from translation.mapping.compiled import CompiledMapping
from translation.mapping.json_plan import JsonSection
from translation.mapping.json_schema import JsonSchemaError, compile_schema

MAPPING = """
[mapping]
service = "social-security/contribution-history"
request = "social-security.contribution-history-query@1.0"
response = "social-security.contribution-history@1.0"
native = "json"

[json]
request = "POST /v1/histories/{id}"

[request.fields]
national_id = "/id"
period_start = { path = "/range/from", date = "%d.%m.%Y" }
period_end = { path = "/range/to", date = "%d.%m.%Y" }

[response.fields]
"person.national_id" = "/who/id"
"person.family_name" = "/who/names/0"
"person.given_names" = "/who/names/1"
"person.date_of_birth" = { path = "/who/born", date = "iso" }
as_of = { path = "/asOf", date = "iso" }

[[response.list]]
field = "periods"
each = "/items"

[response.list.fields]
employer_id = "/employer"
employer_name = "/employerName"
start = { path = "/from", date = "iso" }
end = { path = "/to", date = "iso", null = "open" }
contribution_base = { path = "/base", round = 2, lossy = true }
currency = { const = "EUR" }
"""
ANSWER: dict[str, Any] = {
    "who": {"id": "19800101-1234", "names": ["Andersson", "Maria"], "born": "1980-01-01"},
    "asOf": "2026-11-28",
    "items": [
        {"employer": "1", "employerName": "Harbour", "from": "2008-08-01", "to": "2015-12-31",
         "base": 318700.5},
        {"employer": "2", "employerName": "Brightline", "from": "2016-01-01", "to": "open",
         "base": 12.345},
    ],
}


@pytest.fixture
def mapping(tmp_path: Path) -> CompiledMapping:
    path = tmp_path / "history.toml"
    path.write_text(MAPPING, encoding="utf-8")
    return load_mapping(path)


def decode(mapping: CompiledMapping, answer: dict[str, Any]) -> Any:
    section = mapping.response
    assert isinstance(section, JsonSection)
    return section.decode_bytes(json.dumps(answer).encode())


def test_lists_pointers_sentinels_rounding_and_constants(mapping: CompiledMapping) -> None:
    """Array indices in pointers, a list block, a text sentinel, rounding and a constant."""
    history = decode(mapping, ANSWER)
    assert (history.person.family_name, history.person.given_names) == ("Andersson", "Maria")
    assert [p.end for p in history.periods] == [dt.date(2015, 12, 31), None]
    assert [p.contribution_base for p in history.periods] == [Decimal("318700.50"),
                                                             Decimal("12.34")]
    assert {p.currency for p in history.periods} == {"EUR"}


def test_json_null_is_no_value(mapping: CompiledMapping) -> None:
    """"to": null decodes to an open period like the sentinel does."""
    answer = json.loads(json.dumps(ANSWER))
    answer["items"][0]["to"] = None
    assert decode(mapping, answer).periods[0].end is None


def test_error_in_a_list_item_names_its_index(mapping: CompiledMapping) -> None:
    """An unreadable value in the second item is reported at /items/1/from."""
    answer = json.loads(json.dumps(ANSWER))
    answer["items"][1]["from"] = "01.01.2016"
    with pytest.raises(MappingError) as caught:
        decode(mapping, answer)
    (issue,) = caught.value.issues
    assert (issue.path, issue.field) == ("/items/1/from", "periods.1.start")


def test_list_that_is_not_an_array_is_named(mapping: CompiledMapping) -> None:
    """Without a schema, a non-array where the list should be is a MappingError at /items."""
    with pytest.raises(MappingError) as caught:
        decode(mapping, {**ANSWER, "items": {"not": "a list"}})
    assert [issue.path for issue in caught.value.issues] == ["/items"]


def test_missing_member_is_named_by_its_pointer(mapping: CompiledMapping) -> None:
    """A required field whose member is absent is a ContractError at the member's pointer."""
    answer = json.loads(json.dumps(ANSWER))
    del answer["who"]["born"]
    with pytest.raises(ContractError) as caught:
        decode(mapping, answer)
    assert [(i.path, i.field) for i in caught.value.issues] == [
        ("/who/born", "person.date_of_birth")]


def test_request_renders_placeholders_and_a_body(mapping: CompiledMapping) -> None:
    """POST: placeholders fill the path, the other members travel as the JSON body."""
    from contracts.social_security import ContributionHistoryQuery

    query = ContributionHistoryQuery(national_id="19800101-1234",
                                     period_start=dt.date(2010, 1, 1),
                                     period_end=dt.date(2020, 12, 31))
    assert mapping.route is not None
    target, body = mapping.route.render(mapping.request.encode(query))
    assert target == "/v1/histories/19800101-1234"
    assert json.loads(body or b"") == {"range": {"from": "01.01.2010", "to": "31.12.2020"}}
    assert mapping.request.decode(mapping.route.parse(target, body)) == query


def test_constant_other_than_declared_cannot_be_encoded(mapping: CompiledMapping) -> None:
    """A period in DEM cannot be sent where the department only knows EUR."""
    history = decode(mapping, ANSWER)
    other = history.model_copy(update={"periods": [
        history.periods[0].model_copy(update={"currency": "DEM"})]})
    with pytest.raises(MappingError) as caught:
        mapping.response.encode(other)
    assert caught.value.issues[0].code == "not-representable"


def test_pointer_the_schema_does_not_declare_is_reported(tmp_path: Path) -> None:
    """A pointer a closed object rules out is an error; one an open object allows, a note."""
    path = tmp_path / "m.toml"
    path.write_text(MAPPING + """
[response.schema]
type = "object"
additionalProperties = false
properties = { who = { type = "object" }, asOf = { type = "string" } }
""", encoding="utf-8")
    _, report = compile_mapping(path)
    assert [(f.key, f.code) for f in report.errors if f.code == "unknown-path"] == [
        ("response.list[0].each", "unknown-path")]
    # /who allows other members: its undeclared ones are noted, not refused.
    assert 'response.fields."person.national_id"' in [f.key for f in report.of("note")]


def test_placeholder_without_a_member_is_reported(tmp_path: Path) -> None:
    """A {placeholder} that no request rule writes is an error."""
    path = tmp_path / "m.toml"
    path.write_text(MAPPING.replace("/v1/histories/{id}", "/v1/histories/{pid}"),
                    encoding="utf-8")
    _, report = compile_mapping(path)
    assert any("{pid}" in f.message for f in report.errors)


def test_schema_is_strict_about_types() -> None:
    """The compiled JSON Schema refuses "2024" for an integer and reports every member."""
    validator = compile_schema({"type": "object", "required": ["year", "tin"],
                                "additionalProperties": False,
                                "properties": {"year": {"type": "integer", "minimum": 1900},
                                               "tin": {"type": "string", "pattern": "^[0-9]+$"},
                                               "note": {"type": ["string", "null"]}}})
    assert validator.validate_json(b'{"year": 2024, "tin": "1", "note": null}')["year"] == 2024
    from pydantic_core import ValidationError

    from translation.mapping.json_schema import issues
    with pytest.raises(ValidationError) as caught:
        validator.validate_json(b'{"year": "2024", "tin": "x", "extra": 1}')
    assert {i.path for i in issues(caught.value)} == {"/year", "/tin", "/extra"}


@pytest.mark.parametrize("schema", [{"oneOf": []}, {"type": "object", "patternProperties": {}},
                                    {"type": "decimal"}, {"type": "string", "pattern": "(?<"}])
def test_unsupported_schema_is_refused_at_load(schema: dict[str, Any]) -> None:
    """A keyword the compiler does not support (or a bad pattern) is refused, not ignored."""
    with pytest.raises(JsonSchemaError):
        compile_schema(schema)


def test_schema_violation_in_an_answer_names_the_member(tmp_path: Path) -> None:
    """A schema-declared answer that breaks it is a SchemaViolation at the member."""
    path = tmp_path / "m.toml"
    path.write_text(MAPPING + """
[response.schema]
type = "object"
properties.asOf = { type = "string", pattern = "^[0-9]{4}-" }
""", encoding="utf-8")
    mapping = load_mapping(path)
    with pytest.raises(SchemaViolation) as caught:
        decode(mapping, {**ANSWER, "asOf": "28.11.2026"})
    assert [i.path for i in caught.value.issues] == ["/asOf"]
