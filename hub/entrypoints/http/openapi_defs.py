"""Move the ``$defs`` of embedded JSON Schemas into the OpenAPI document's components.

A contract's JSON Schema (pydantic's ``model_json_schema``) keeps its nested
models under ``$defs`` and points at them with ``#/$defs/Name``. Embedded as is
in an operation, such a ``$ref`` resolves against the root of the OpenAPI
document, where no ``$defs`` is: validators and clients cannot follow it. Each
definition therefore moves to ``components/schemas`` and its references are
rewritten; a name already taken there by a different schema gets a numbered one.
"""

from __future__ import annotations

import copy
from typing import Any

_LOCAL = "#/$defs/"
_COMPONENT = "#/components/schemas/"


def hoist_defs(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with every nested ``$defs`` moved to ``components/schemas`` (in place)."""
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    for key, value in list(document.items()):
        if key != "components":
            _hoist_within(value, schemas)
    for name in list(schemas):
        _hoist_within(schemas[name], schemas)
    return document


def _hoist_within(node: Any, schemas: dict[str, Any]) -> None:
    if isinstance(node, list):
        for item in node:
            _hoist_within(item, schemas)
        return
    if not isinstance(node, dict):
        return
    defs = node.pop("$defs", None)
    if isinstance(defs, dict):
        renames = _place(defs, schemas)
        _rewrite(node, renames)
    for value in node.values():
        _hoist_within(value, schemas)


def _place(defs: dict[str, Any], schemas: dict[str, Any]) -> dict[str, str]:
    """Add ``defs`` to ``schemas``; the component name each definition got."""
    renames = {}
    for name, schema in defs.items():
        target, number = name, 1
        while target in schemas and schemas[target] != _rewritten(schema, defs, renames, name,
                                                                   target):
            number += 1
            target = f"{name}{number}"
        renames[name] = target
    for name, schema in defs.items():
        final = _rewritten(schema, defs, renames, name, renames[name])
        schemas.setdefault(renames[name], final)
    return renames


def _rewritten(schema: Any, defs: dict[str, Any], renames: dict[str, str], name: str,
               target: str) -> Any:
    # Names not yet placed keep their own name for the comparison.
    mapping = {other: renames.get(other, other) for other in defs}
    mapping[name] = target
    copied = copy.deepcopy(schema)
    _rewrite(copied, mapping)
    return copied


def _rewrite(node: Any, renames: dict[str, str]) -> None:
    if isinstance(node, list):
        for item in node:
            _rewrite(item, renames)
        return
    if not isinstance(node, dict):
        return
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(_LOCAL):
        name = ref[len(_LOCAL):]
        node["$ref"] = _COMPONENT + renames.get(name, name)
    for value in node.values():
        _rewrite(value, renames)
