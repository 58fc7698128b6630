"""Filling a step's input from the application, the supplied documents and earlier answers.

The sources were checked against the contracts when the case type was (``cases check``);
at run time a value can still be absent (an optional application field left out, an
earlier answer without it): such an input key is left out, and the request contract
decides whether that is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.service_layer.cases.case_type import Source, Step


def value_at(document: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path of a JSON-shaped document, or None."""
    current: Any = document
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return None
        current = current[part]
    return current


def fill_input(step: Step, application: Mapping[str, Any], documents: Mapping[str, str],
               answers: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The JSON document of ``step``'s request."""
    filled: dict[str, Any] = {}
    for key, source in step.inputs.items():
        value = _value(source, application, documents, answers)
        if value is not None:
            filled[key] = value
    return filled


def _value(source: Source, application: Mapping[str, Any], documents: Mapping[str, str],
           answers: Mapping[str, Mapping[str, Any]]) -> Any:
    if source.origin == "value":
        return source.value
    if source.origin == "application":
        return value_at(application, source.path)
    if source.origin == "documents":
        return documents.get(source.path)
    return value_at(answers.get(source.step, {}), source.path)
