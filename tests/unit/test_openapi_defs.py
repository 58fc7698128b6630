"""Embedded JSON Schemas' $defs move into components/schemas, with every $ref following."""

from __future__ import annotations

import json

from openapi_spec_validator import validate

from hub.entrypoints.http.openapi_defs import hoist_defs


def _operation(schema: dict[str, object]) -> dict[str, object]:
    return {"post": {"responses": {"200": {"description": "ok", "content": {
        "application/json": {"schema": schema}}}}}}


def _embedded(person_fields: dict[str, object]) -> dict[str, object]:
    return {"$defs": {"Person": {"type": "object", "properties": person_fields}},
            "type": "object", "properties": {"who": {"$ref": "#/$defs/Person"},
                                             "all": {"items": {"$ref": "#/$defs/Person"}}}}


def test_defs_become_components_and_refs_follow() -> None:
    """Two operations embedding the same model share one component; the document validates."""
    same = {"name": {"type": "string"}}
    document = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {
        "/a": _operation(_embedded(same)), "/b": _operation(_embedded(same))}}
    hoisted = hoist_defs(document)
    validate(hoisted)
    assert "$defs" not in json.dumps(hoisted)
    assert list(hoisted["components"]["schemas"]) == ["Person"]


def test_a_different_model_of_the_same_name_gets_its_own_component() -> None:
    """Same name, different schema: the second is Person2 and its refs point there."""
    document = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {
        "/a": _operation(_embedded({"name": {"type": "string"}})),
        "/b": _operation(_embedded({"age": {"type": "integer"}}))}}
    hoisted = hoist_defs(document)
    validate(hoisted)
    schemas = hoisted["components"]["schemas"]
    assert set(schemas) == {"Person", "Person2"}
    b = hoisted["paths"]["/b"]["post"]["responses"]["200"]["content"]["application/json"]
    assert b["schema"]["properties"]["who"] == {"$ref": "#/components/schemas/Person2"}
    assert schemas["Person2"]["properties"] == {"age": {"type": "integer"}}
