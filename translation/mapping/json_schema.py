"""A JSON Schema (the common subset) compiled into one pydantic-core validator.

The JSON counterpart of a compiled XSD: pydantic-core parses *and* validates
the bytes in one pass in Rust and hands back plain dicts and lists, so a
mapping that declares its department's JSON Schema pays little for validating
every message (``jsonschema``, pure Python, would cost more than the whole
translation).

Supported keywords: ``type`` (one or a list), ``properties``, ``required``,
``additionalProperties`` (true/false), ``items``, ``minItems``, ``maxItems``,
``enum``, ``const``, ``pattern``, ``minLength``, ``maxLength``, ``minimum``,
``maximum``, ``exclusiveMinimum``, ``exclusiveMaximum``; annotations
(``format``, ``title``, ``description``, ``examples``, ``default``, ``$schema``,
``$comment``) are accepted and ignored, as JSON Schema allows. Anything else
is refused when the mapping is loaded — a schema silently checked less than
it says would be worse than none. Types are strict: ``"2024"`` is not an integer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic_core import SchemaError, SchemaValidator, ValidationError
from pydantic_core import core_schema as cs

from contracts.errors import FieldIssue
from translation.mapping.errors import MappingFileError

_ANNOTATIONS = {"format", "title", "description", "examples", "default", "$schema", "$comment"}
_KEYWORDS = {"type", "properties", "required", "additionalProperties", "items", "minItems",
             "maxItems", "enum", "const", "pattern", "minLength", "maxLength", "minimum",
             "maximum", "exclusiveMinimum", "exclusiveMaximum"} | _ANNOTATIONS
_TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")


class JsonSchemaError(MappingFileError):
    """Raised when a schema uses what this compiler does not support, naming where."""

    code = "bad-schema"


def compile_schema(schema: Mapping[str, Any], where: str = "schema") -> SchemaValidator:
    """Compile ``schema`` into a validator; raises :class:`JsonSchemaError`."""
    try:
        return SchemaValidator(_core(schema, where))
    except SchemaError as exc:  # e.g. a pattern the regex engine cannot compile
        raise JsonSchemaError(f"{where}: {exc}") from None


def issues(exc: ValidationError) -> tuple[FieldIssue, ...]:
    """pydantic-core's errors as issues whose paths are JSON Pointers into the message."""
    return tuple(
        FieldIssue(path=pointer(err["loc"]), reason=err["msg"], code=err["type"])
        for err in exc.errors(include_url=False)
    )


def pointer(loc: Sequence[Any]) -> str:
    if not loc:
        return "$"
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in loc)


def _core(node: Any, where: str) -> Any:
    if not isinstance(node, Mapping):
        raise JsonSchemaError(f"{where}: a schema must be a table (object)")
    unknown = set(node) - _KEYWORDS
    if unknown:
        raise JsonSchemaError(f"{where}: unsupported keyword(s) {', '.join(sorted(unknown))}; "
                              f"supported: {', '.join(sorted(_KEYWORDS - _ANNOTATIONS))}")
    if "const" in node:
        return cs.literal_schema([node["const"]])
    if "enum" in node:
        values = node["enum"]
        if not isinstance(values, list) or not values:
            raise JsonSchemaError(f"{where}.enum: must be a non-empty list")
        return cs.literal_schema(values)
    kinds = node.get("type")
    if kinds is None:
        return cs.any_schema()
    listed = [kinds] if isinstance(kinds, str) else kinds
    if not isinstance(listed, list) or not listed or any(k not in _TYPES for k in listed):
        raise JsonSchemaError(f"{where}.type: must be one of {', '.join(_TYPES)} or a list")
    nullable = "null" in listed
    others = [_typed(kind, node, where) for kind in listed if kind != "null"]
    if not others:
        return cs.none_schema()
    inner = others[0] if len(others) == 1 else cs.union_schema(
        others, custom_error_type="type", custom_error_message=f"Input should be "
        f"{' or '.join(k for k in listed if k != 'null')}")
    return cs.nullable_schema(inner) if nullable else inner


def _typed(kind: str, node: Mapping[str, Any], where: str) -> Any:
    if kind == "object":
        return _object(node, where)
    if kind == "array":
        items = node.get("items")
        return cs.list_schema(_core(items, f"{where}.items") if items is not None else None,
                              min_length=node.get("minItems"), max_length=node.get("maxItems"),
                              strict=True)
    if kind == "string":
        return cs.str_schema(pattern=node.get("pattern"), min_length=node.get("minLength"),
                             max_length=node.get("maxLength"), strict=True)
    bounds = {"ge": node.get("minimum"), "le": node.get("maximum"),
              "gt": node.get("exclusiveMinimum"), "lt": node.get("exclusiveMaximum")}
    if kind == "integer":
        return cs.int_schema(strict=True, **bounds)
    if kind == "number":
        # An integer stays an int; a fraction arrives as a float (JSON numbers are binary).
        return cs.union_schema([cs.int_schema(strict=True, **bounds),
                                cs.float_schema(strict=True, allow_inf_nan=False, **bounds)],
                               custom_error_type="number_type",
                               custom_error_message="Input should be a number")
    return cs.bool_schema(strict=True)


def _object(node: Mapping[str, Any], where: str) -> Any:
    properties = node.get("properties", {})
    required = node.get("required", [])
    if not isinstance(properties, Mapping) or not isinstance(required, list):
        raise JsonSchemaError(f"{where}: properties is a table, required a list")
    extra = node.get("additionalProperties", True)
    if not isinstance(extra, bool):
        raise JsonSchemaError(f"{where}.additionalProperties: only true or false is supported")
    missing = [name for name in required if name not in properties]
    fields = {
        name: cs.typed_dict_field(_core(sub, f"{where}.properties.{name}"),
                                  required=name in required)
        for name, sub in properties.items()
    }
    # A required name without a property schema is still required, with any value.
    fields.update({name: cs.typed_dict_field(cs.any_schema(), required=True) for name in missing})
    return cs.typed_dict_schema(fields, extra_behavior="allow" if extra else "forbid")


UNDECLARED: Mapping[str, Any] = {}
"""What :func:`at` returns for a member that an open object (additional properties allowed)
does not declare: it may exist, with any value."""


def at(schema: Mapping[str, Any] | None, tokens: Sequence[str]) -> Mapping[str, Any] | None:
    """The sub-schema a JSON Pointer's tokens lead to.

    None when the schema rules the place out (a closed object without that
    member, a scalar); :data:`UNDECLARED` when an open object merely does not
    declare it.
    """
    node = schema
    for token in tokens:
        if node is None or node is UNDECLARED:
            return node
        if node.get("type") == "array" or ("items" in node and "type" not in node):
            node = node.get("items", UNDECLARED) if token.isdigit() else None
        elif node.get("type") in (None, "object") or "properties" in node:
            declared = node.get("properties", {}).get(token)
            if declared is None and node.get("additionalProperties", True) is not False:
                declared = UNDECLARED
            node = declared
        else:
            return None
    return node


def family(node: Mapping[str, Any] | None) -> str | None:
    """The legacy type family of a sub-schema, in :mod:`xml_schema_view`'s terms."""
    if node is None:
        return None
    kinds = node.get("type")
    listed = [kinds] if isinstance(kinds, str) else [k for k in kinds or [] if k != "null"]
    if len(listed) != 1:
        return "any"
    return {"string": "string", "integer": "integer", "number": "number",
            "boolean": "boolean", "object": "object", "array": "array"}.get(listed[0], "any")


def required_paths(node: Mapping[str, Any] | None, prefix: str = "") -> list[str]:
    """Pointers of required properties (descending into required objects only)."""
    if node is None:
        return []
    found = []
    properties = node.get("properties", {})
    for name in node.get("required", []):
        here = f"{prefix}/{name}"
        found.append(here)
        sub = properties.get(name)
        if sub is not None and family(sub) == "object":
            found.extend(required_paths(sub, here))
    return found
