"""Contract fields as a mapping sees them: dotted paths, leaf types, what is required.

Built on :func:`contracts.xsd.field_shapes`, so a mapping and the contracts'
XSD agree on what a field is (its item type, whether it repeats, its facets).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from contracts.base import Contract
from contracts.xsd import FieldShape, field_shapes
from translation.mapping.errors import MappingFileError


class FieldPathError(MappingFileError):
    """Raised when a dotted path does not name a field of the contract."""

    code = "unknown-field"


@dataclass(frozen=True)
class FieldRef:
    """A resolved dotted path: its shape and whether every step of it is required."""

    path: str
    shape: FieldShape
    required: bool


@cache
def shapes(model: type[Contract]) -> dict[str, FieldShape]:
    """The fields of ``model`` by name (cached: contract classes never change)."""
    return {shape.name: shape for shape in field_shapes(model)}


def resolve(model: type[Contract], dotted: str) -> FieldRef:
    """Follow ``a.b.c`` through nested contracts; lists are entered only by list blocks."""
    current: type[Contract] = model
    required = True
    parts = dotted.split(".")
    for index, name in enumerate(parts):
        shape = shapes(current).get(name)
        if shape is None:
            known = ", ".join(shapes(current))
            where = ".".join(parts[:index]) or current.__name__
            raise FieldPathError(f"{where} has no field {name!r}; its fields: {known}")
        required = required and _required(shape)
        if index == len(parts) - 1:
            return FieldRef(dotted, shape, required)
        if shape.repeated or not shape.is_contract:
            what = "a list (map it with a [[...list]] block)" if shape.repeated else "a value"
            raise FieldPathError(f"{'.'.join(parts[: index + 1])} is {what}, not a nested "
                                 "contract")
        current = shape.kind
    raise FieldPathError("empty field path")  # pragma: no cover - split never yields []


def list_item(model: type[Contract], dotted: str) -> type[Contract]:
    """The item contract of the list field ``dotted``; raises :class:`FieldPathError`."""
    ref = resolve(model, dotted)
    if not ref.shape.repeated:
        raise FieldPathError(f"{dotted} is not a list; map it in [section.fields]")
    if not ref.shape.is_contract:
        raise FieldPathError(f"{dotted} is a list of {ref.shape.kind.__name__}; list blocks "
                             "map lists of contracts")
    return ref.shape.kind


def required_leaves(model: type[Contract], prefix: str = "") -> Iterator[str]:
    """Dotted paths of required fields that a mapping must fill (lists count as leaves)."""
    for shape in shapes(model).values():
        if not _required(shape):
            continue
        path = f"{prefix}{shape.name}"
        if shape.is_contract and not shape.repeated:
            yield from required_leaves(shape.kind, f"{path}.")
        else:
            yield path


def _required(shape: FieldShape) -> bool:
    if shape.repeated:
        # A list without a default must be given, even if empty.
        return True
    return not shape.optional
