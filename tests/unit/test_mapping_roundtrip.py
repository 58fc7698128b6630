"""Round trips: decode(encode(x)) == x for every shipped mapping, over its lossless fields.

Strategies are derived from the contract models (types, patterns, lengths,
bounds, enums, optional fields, lists) and narrowed by the legacy schema where
a field lands in a more constrained legacy element (the bureau's PersNo
pattern, 60-character names): x ranges over what both sides can carry.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
from elementpath.regex import translate_pattern
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.base import Contract
from contracts.xsd import FieldShape
from simulations.bench.translation import JSON_MAPPING
from simulations.departments import SOCIAL_SECURITY_MAPPING, TAX_MAPPING
from translation.mapping import json_schema, load_mapping
from translation.mapping.compiled import CompiledMapping
from translation.mapping.fields import shapes
from translation.mapping.json_plan import JsonSection
from translation.mapping.paths import parse_pointer, parse_xml_path
from translation.mapping.spec import ListBlock, Section
from translation.mapping.xml_plan import XmlSection
from translation.mapping.xml_schema_view import Decl, facets

EXAMPLES = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
# Letters, digits, punctuation, symbols and spaces: XML-safe, no control characters.
TEXT = st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"])


# ---------------------------------------------------------------- strategies


def contracts(model: type[Contract], legacy: dict[str, dict[str, Any]],
              prefix: str = "") -> st.SearchStrategy[Contract]:
    """Valid instances of ``model``; ``legacy`` holds legacy facets by dotted field."""
    fields = {
        shape.name: _field(shape, legacy, f"{prefix}{shape.name}")
        for shape in shapes(model).values()
    }

    def build(data: dict[str, Any]) -> Contract | None:
        try:
            return model.model_validate(data)
        except ValueError:  # a cross-field rule (period_end >= period_start)
            return None

    return st.fixed_dictionaries(fields).map(build).filter(lambda x: x is not None)


def _field(shape: FieldShape, legacy: dict[str, dict[str, Any]],
           dotted: str) -> st.SearchStrategy[Any]:
    if shape.repeated:
        item = contracts(shape.kind, legacy, f"{dotted}.*.")
        return st.lists(item, max_size=3)
    value = (contracts(shape.kind, legacy, f"{dotted}.") if shape.is_contract
             else _scalar(shape, legacy.get(dotted, {})))
    return st.none() | value if shape.optional else value


def _scalar(shape: FieldShape, legacy: dict[str, Any]) -> st.SearchStrategy[Any]:
    kind, rules = shape.kind, shape.constraints
    if issubclass(kind, Enum):
        return st.sampled_from(list(kind))
    if kind is dt.date:
        return st.dates()
    if kind is int:
        return st.integers(rules.get("ge", -(2**31)), rules.get("le", 2**31))
    if kind is Decimal:
        places = rules.get("decimal_places", 2)
        top = Decimal(10) ** (rules.get("max_digits", 14) - places) - Decimal(1).scaleb(-places)
        return st.decimals(min_value=rules.get("ge", -top), max_value=top, places=places)
    if kind is str:
        return _text(rules, legacy)
    raise NotImplementedError(f"no strategy for {kind}")


def _text(rules: dict[str, Any], legacy: dict[str, Any]) -> st.SearchStrategy[str]:
    low = max(rules.get("min_length", 0), legacy.get("min_length", 0), 1)
    high = min(rules.get("max_length", 200), legacy.get("max_length", 200))
    patterns = [re.compile(p) for p in ([rules["pattern"]] if "pattern" in rules else [])]
    if legacy.get("patterns"):
        base: st.SearchStrategy[str] = st.one_of(*(
            st.from_regex(translate_pattern(p), fullmatch=True) for p in legacy["patterns"]))
    elif legacy.get("json_pattern"):
        base = st.from_regex(legacy["json_pattern"])
    elif patterns:
        base = st.from_regex(patterns[0], fullmatch=True)
    else:
        base = st.text(TEXT, min_size=low, max_size=high)
    return base.filter(lambda s: low <= len(s) <= high and s == s.strip()
                       and all(p.search(s) for p in patterns))


def xml_facets(section: Section, root: Decl, namespaces: dict[str, str]
               ) -> dict[str, dict[str, Any]]:
    """Legacy facets of each mapped leaf, keyed by dotted field (``periods.*.currency``)."""
    found: dict[str, dict[str, Any]] = {}

    def walk(block: Section | ListBlock, decl: Decl, prefix: str) -> None:
        for rule in block.rules:
            if rule.path is None:
                continue
            target = decl
            for step in parse_xml_path(rule.path, namespaces).steps:
                child = target.child(step)
                assert child is not None
                target = child.decl
            found[prefix + rule.field] = facets(target.simple_type)
        for inner in block.lists:
            (step,) = parse_xml_path(inner.each, namespaces).steps
            child = decl.child(step)
            assert child is not None
            walk(inner, child.decl, f"{prefix}{inner.field}.*.")

    walk(section, root, "")
    return found


def json_facets(section: Section) -> dict[str, dict[str, Any]]:
    """JSON Schema facets of each mapped member, keyed by dotted field."""
    found: dict[str, dict[str, Any]] = {}

    def walk(block: Section | ListBlock, schema: Any, prefix: str) -> None:
        for rule in block.rules:
            node = json_schema.at(schema, parse_pointer(rule.path or "").tokens) or {}
            found[prefix + rule.field] = {
                "json_pattern": node.get("pattern"), "min_length": node.get("minLength", 0),
                "max_length": node.get("maxLength", 200)}
        for inner in block.lists:
            array = json_schema.at(schema, parse_pointer(inner.each).tokens) or {}
            walk(inner, array.get("items"), f"{prefix}{inner.field}.*.")

    walk(section, section.schema, "")
    return found


def lossless(contract: Contract, lossy: set[str]) -> dict[str, Any]:
    """The contract as data without its lossy fields (``a.b``, ``periods.*.x``)."""
    data = contract.model_dump()
    for path in lossy:
        _drop(data, path.split("."))
    return data


def _drop(data: Any, parts: list[str]) -> None:
    head, *rest = parts
    if head == "*":
        for item in data:
            _drop(item, rest)
    elif not rest:
        data.pop(head, None)
    elif data.get(head) is not None:
        _drop(data[head], rest)


# ---------------------------------------------------------------- the mappings


@pytest.fixture(scope="module")
def social_security() -> CompiledMapping:
    return load_mapping(SOCIAL_SECURITY_MAPPING)


@pytest.fixture(scope="module")
def tax() -> CompiledMapping:
    return load_mapping(TAX_MAPPING)


@pytest.fixture(scope="module")
def json_history(tmp_path_factory: pytest.TempPathFactory) -> CompiledMapping:
    path = tmp_path_factory.mktemp("bench") / "contribution-history.json.toml"
    path.write_text(JSON_MAPPING, encoding="utf-8")
    return load_mapping(path)


def _xml_strategy(mapping: CompiledMapping, direction: str) -> st.SearchStrategy[Contract]:
    section: XmlSection[Any] = getattr(mapping, direction)
    assert mapping.spec.soap is not None
    namespaces = dict(mapping.spec.soap.namespaces)
    legacy = xml_facets(getattr(mapping.spec, direction), section.root, namespaces)
    return contracts(section.model, legacy)


@pytest.mark.parametrize("direction", ["request", "response"])
def test_soap_mapping_round_trips(social_security: CompiledMapping, direction: str) -> None:
    """social-security: decode(encode(x)) == x, each encoded element valid for the bureau XSD."""
    section: XmlSection[Any] = getattr(social_security, direction)
    lossy = social_security.lossy_fields(direction)

    @EXAMPLES
    @given(_xml_strategy(social_security, direction))
    def round_trip(x: Contract) -> None:
        assert lossless(section.decode(section.encode(x)), lossy) == lossless(x, lossy)

    round_trip()


def test_json_request_round_trips_through_the_url(tax: CompiledMapping) -> None:
    """tax request: contract -> document -> request URL -> document -> contract."""
    assert tax.route is not None
    route, section = tax.route, tax.request

    @EXAMPLES
    @given(contracts(section.model, {}))
    def round_trip(x: Contract) -> None:
        target, body = route.render(section.encode(x))
        assert section.decode(route.parse(target, body)) == x

    round_trip()


@pytest.mark.parametrize("name", ["tax", "json_history"])
def test_json_response_round_trips_through_bytes(name: str,
                                                 request: pytest.FixtureRequest) -> None:
    """tax and the JSON history mapping: decode_bytes(dumps(encode(x))) == x (lossless part)."""
    mapping: CompiledMapping = request.getfixturevalue(name)
    section: JsonSection[Any] = mapping.response  # type: ignore[assignment]
    lossy = mapping.lossy_fields("response")

    @EXAMPLES
    @given(contracts(section.model, json_facets(mapping.spec.response)))
    def round_trip(x: Contract) -> None:
        data = json.dumps(section.encode(x)).encode()
        assert lossless(section.decode_bytes(data), lossy) == lossless(x, lossy)

    round_trip()


def test_lossy_fields_are_left_out_of_the_comparison(tax: CompiledMapping) -> None:
    """The tax mapping's lossy field (issued_on) is the one excluded from the round trip."""
    assert tax.lossy_fields("response") == {"issued_on"}
