"""Is a minor version backward compatible with the previous minor of its major?

Compatible means: every document valid under the previous minor is valid under
the new one, so a reader of ``X@1.1`` can read anything written as ``X@1.0``.
That forbids removing a field, retyping one, narrowing what it accepts (a tighter
bound or length, a new or changed pattern, fewer enum values, no more null),
adding a required field, and reordering fields (XML sequences are ordered, so an
old XML document would no longer validate). Fields are compared as
:func:`contracts.xsd.field_shapes` describes them, the same shape the XML schema
enforces; nested contracts are compared field by field. Model validators
(cross-field rules) are code and cannot be compared: a minor must not add one
that refuses old documents.
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from itertools import pairwise
from typing import Any, Literal, TypeGuard, Union, get_args, get_origin

from contracts.base import Contract, ContractId
from contracts.xsd import FieldShape, field_shapes

# Constraints where a larger value accepts less, and where a smaller one does.
_RAISING_NARROWS = ("min_length",)
_LOWERING_NARROWS = ("max_length", "max_digits", "decimal_places")

Kind = Literal["removed", "required", "retyped", "narrowed", "reordered"]


@dataclass(frozen=True)
class Incompatibility:
    """One reason why ``contract`` cannot read every document of ``previous``."""

    contract: ContractId
    previous: ContractId
    field: str
    kind: Kind
    detail: str

    def __str__(self) -> str:
        return f"contract {self.contract}: field '{self.field}' {self.detail}"


def minor_steps(
    models: Iterable[type[Contract]],
) -> list[tuple[type[Contract], type[Contract]]]:
    """Each minor paired with the previous given minor of its major, in identity order."""
    ordered = sorted(models, key=lambda model: model.contract_id())
    return [
        (previous, current)
        for previous, current in pairwise(ordered)
        if _major(previous) == _major(current)
    ]


def check_versions(models: Iterable[type[Contract]]) -> list[Incompatibility]:
    """Compare every minor with the previous given minor of the same major."""
    return [
        problem
        for previous, current in minor_steps(models)
        for problem in compare(previous, current)
    ]


def compare(previous: type[Contract], current: type[Contract]) -> list[Incompatibility]:
    """Why ``current`` cannot read every ``previous`` document; empty when it can."""
    comparison = _Comparison(previous.contract_id(), current.contract_id())
    return list(comparison.models(previous, current))


@dataclass(frozen=True)
class _Comparison:
    """Compares one version pair, descending into nested contracts; yields each problem."""

    old_id: ContractId
    new_id: ContractId

    @property
    def old_version(self) -> str:
        return f"{self.old_id.major}.{self.old_id.minor}"

    def problem(self, field: str, kind: Kind, detail: str) -> Incompatibility:
        return Incompatibility(self.new_id, self.old_id, field, kind, detail)

    def models(
        self, old: type[Contract], new: type[Contract], prefix: str = ""
    ) -> Iterator[Incompatibility]:
        old_shapes = {shape.name: shape for shape in field_shapes(old)}
        new_shapes = {shape.name: shape for shape in field_shapes(new)}
        for name in old_shapes:
            if name not in new_shapes:
                yield self.problem(
                    prefix + name, "removed", f"removed (present in {self.old_version})"
                )
        for name, shape in new_shapes.items():
            if name not in old_shapes and not shape.optional:
                yield self.problem(
                    prefix + name,
                    "required",
                    f"added as required (a {self.old_version} document has no such field)",
                )
        yield from self.order(list(old_shapes), list(new_shapes), prefix)
        for name in old_shapes:
            if name in new_shapes:
                nullable = (_nullable(old, name), _nullable(new, name))
                yield from self.fields(old_shapes[name], new_shapes[name], nullable, prefix + name)

    def order(self, old: list[str], new: list[str], prefix: str) -> Iterator[Incompatibility]:
        kept = [name for name in new if name in old]
        expected = [name for name in old if name in kept]
        for position, (was, now) in enumerate(zip(expected, kept, strict=True)):
            if was != now:
                before = kept[position + 1] if position + 1 < len(kept) else None
                where = f"moved before '{before}'" if before else "moved to the end"
                yield self.problem(
                    prefix + now,
                    "reordered",
                    f"{where}; XML keeps the {self.old_version} order ({', '.join(expected)})",
                )
                return

    def fields(
        self, old: FieldShape, new: FieldShape, nullable: tuple[bool, bool], path: str
    ) -> Iterator[Incompatibility]:
        if old.optional and not new.optional:
            yield self.problem(
                path, "required", f"became required (optional in {self.old_version})"
            )
        if nullable == (True, False):
            yield self.problem(
                path, "narrowed", f"no longer accepts null (nullable in {self.old_version})"
            )
        if old.repeated != new.repeated:
            yield self.retyped(path, type_name(old), type_name(new))
            return
        if old.repeated:
            yield from self.bounds(path, "list", _occurs(old), _occurs(new))
        yield from self.kinds(old, new, path)

    def retyped(self, path: str, old: str, new: str) -> Incompatibility:
        return self.problem(path, "retyped", f"retyped from {old} ({self.old_version}) to {new}")

    def kinds(self, old: FieldShape, new: FieldShape, path: str) -> Iterator[Incompatibility]:
        if old.kind is new.kind and not old.constraints and not new.constraints:
            return  # the very same type (a shared nested contract, say) accepts the same
        if issubclass(old.kind, Contract) and issubclass(new.kind, Contract):
            if old.kind.contract_id().name != new.kind.contract_id().name:
                yield self.retyped(path, type_name(old), type_name(new))
            else:
                yield from self.models(old.kind, new.kind, prefix=f"{path}.")
        elif _is_enum(old.kind) and _is_enum(new.kind):
            lost = sorted(_values(old.kind) - _values(new.kind))
            if lost:
                listed = ", ".join(repr(value) for value in lost)
                yield self.problem(path, "narrowed", f"narrowed: enum values removed: {listed}")
        elif old.kind is not new.kind:
            yield self.retyped(path, type_name(old), type_name(new))
        else:
            yield from self.bounds(path, "", old.constraints, new.constraints)

    def bounds(
        self, path: str, what: str, old: Mapping[str, Any], new: Mapping[str, Any]
    ) -> Iterator[Incompatibility]:
        for reason in _narrowings(old, new):
            label = f"{what} " if what else ""
            yield self.problem(
                path, "narrowed", f"narrowed: {label}{reason} ({self.old_version} accepts more)"
            )


def _narrowings(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[str]:
    """Each constraint of ``new`` that refuses a value ``old`` accepts, in words."""
    for key in _RAISING_NARROWS:
        if new.get(key, 0) > old.get(key, 0):
            yield f"{key} {old.get(key, 0)} → {new[key]}"
    for key in _LOWERING_NARROWS:
        if key in new and (key not in old or new[key] < old[key]):
            yield f"{key} {old.get(key, 'none')} → {new[key]}"
    if new.get("pattern") != old.get("pattern") and "pattern" in new:
        before = f"pattern {old['pattern']!r}" if "pattern" in old else "no pattern"
        yield f"{before} → pattern {new['pattern']!r}"
    for side, inclusive, exclusive in (("lower", "ge", "gt"), ("upper", "le", "lt")):
        was, now = _bound(old, inclusive, exclusive), _bound(new, inclusive, exclusive)
        if _tighter(was, now, upper=side == "upper"):
            yield f"{side} bound {_show_bound(was, inclusive)} → {_show_bound(now, inclusive)}"


def _bound(
    constraints: Mapping[str, Any], inclusive: str, exclusive: str
) -> tuple[Any, bool] | None:
    if exclusive in constraints:
        return constraints[exclusive], False
    if inclusive in constraints:
        return constraints[inclusive], True
    return None


def _tighter(was: tuple[Any, bool] | None, now: tuple[Any, bool] | None, *, upper: bool) -> bool:
    if now is None:
        return False
    if was is None:
        return True
    (old_value, old_inclusive), (new_value, new_inclusive) = was, now
    if old_value == new_value:
        return old_inclusive and not new_inclusive
    return bool(new_value < old_value) if upper else bool(new_value > old_value)


def _show_bound(bound: tuple[Any, bool] | None, inclusive_key: str) -> str:
    if bound is None:
        return "none"
    value, inclusive = bound
    op = {("ge", True): ">=", ("ge", False): ">", ("le", True): "<=", ("le", False): "<"}
    return f"{op[inclusive_key, inclusive]} {value}"


def _occurs(shape: FieldShape) -> dict[str, int]:
    occurs = {"min_length": shape.min_items}
    if shape.max_items is not None:
        occurs["max_length"] = shape.max_items
    return occurs


def _major(model: type[Contract]) -> tuple[str, int]:
    cid = model.contract_id()
    return cid.name, cid.major


def _nullable(model: type[Contract], name: str) -> bool:
    annotation = model.model_fields[name].annotation
    union = get_origin(annotation) in (Union, types.UnionType)
    return union and type(None) in get_args(annotation)


def _is_enum(kind: type) -> TypeGuard[type[Enum]]:
    return issubclass(kind, Enum)


def _values(enum: type[Enum]) -> set[Any]:
    return {member.value for member in enum}


def type_name(shape: FieldShape) -> str:
    """A field's type in words: ``date``, ``list[InsuredPeriod]``, ``person.identity@1.0``."""
    if issubclass(shape.kind, Contract):
        name = f"{shape.kind.__name__} ({shape.kind.contract_id()})"
    elif _is_enum(shape.kind):
        name = f"{shape.kind.__name__} (enum)"
    else:
        name = shape.kind.__name__
    return f"list[{name}]" if shape.repeated else name
