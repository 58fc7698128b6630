"""A minor version must read every document of the previous minor; each breach is explained."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar

import pytest
from pydantic import Field

from contracts import default_registry
from contracts.base import Contract, ContractId
from contracts.compatibility import Incompatibility, check_versions, compare


class Colour(StrEnum):
    RED = "red"
    GREEN = "green"


class FewerColours(StrEnum):
    RED = "red"


class MoreColours(StrEnum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


def _version(minor: int, name: str = "test.thing", major: int = 1, **fields: Any) -> type[Contract]:
    """A test-only ``name@major.minor``; each field is an annotation or (annotation, default)."""
    annotations: dict[str, Any] = {"CONTRACT_ID": ClassVar[ContractId]}
    namespace: dict[str, Any] = {"CONTRACT_ID": ContractId(name, major, minor)}
    for field, spec in fields.items():
        annotation, *default = spec if isinstance(spec, tuple) else (spec,)
        annotations[field] = annotation
        if default:
            namespace[field] = default[0]
    namespace["__annotations__"] = annotations
    return type("Thing", (Contract,), namespace)


def _problems(old: dict[str, Any], new: dict[str, Any]) -> list[Incompatibility]:
    return compare(_version(0, **old), _version(1, **new))


def _one(old: dict[str, Any], new: dict[str, Any]) -> Incompatibility:
    (problem,) = _problems(old, new)
    return problem


def test_optional_additions_are_compatible() -> None:
    """New optional fields, looser constraints and more enum values are all fine."""
    old = {
        "a": Annotated[str, Field(max_length=5)],
        "b": Annotated[int, Field(ge=1, le=10)],
        "c": Colour,
        "d": (dt.date | None, None),
    }
    new = {
        "a": Annotated[str, Field(max_length=9)],
        "extra": (str | None, None),
        "b": Annotated[int, Field(ge=0)],
        "c": MoreColours,
        "d": (dt.date | None, None),
        "tail": (Annotated[int, Field(ge=0)], 0),
    }
    assert _problems(old, new) == []


def test_a_removed_field_is_explained() -> None:
    """Removing a field names the contract, the field and the version that had it."""
    problem = _one({"x": str, "y": int}, {"x": str})
    assert str(problem) == "contract test.thing@1.1: field 'y' removed (present in 1.0)"
    assert (problem.kind, problem.previous) == ("removed", ContractId("test.thing", 1, 0))


def test_a_new_required_field_is_refused() -> None:
    """A 1.0 document has no value for a field that 1.1 requires."""
    problem = _one({"x": str}, {"x": str, "y": int})
    assert problem.kind == "required"
    assert str(problem) == (
        "contract test.thing@1.1: field 'y' added as required (a 1.0 document has no such field)"
    )


def test_an_optional_field_that_becomes_required_is_refused() -> None:
    """Dropping a default makes 1.0 documents that omit the field invalid."""
    problem = _one({"x": (dt.date, dt.date(2000, 1, 1))}, {"x": dt.date})
    assert problem.kind == "required"
    assert "became required (optional in 1.0)" in str(problem)


def test_a_retyped_field_is_refused() -> None:
    """Changing a field's type is refused with both types named."""
    problem = _one({"when": dt.date}, {"when": str})
    assert problem.kind == "retyped"
    assert str(problem) == "contract test.thing@1.1: field 'when' retyped from date (1.0) to str"


def test_a_single_value_that_becomes_a_list_is_retyped() -> None:
    """A scalar turned into a list (or back) is a retype."""
    problem = _one({"tag": str}, {"tag": list[str]})
    assert "retyped from str (1.0) to list[str]" in str(problem)


def test_null_can_no_longer_be_refused() -> None:
    """A nullable field must stay nullable."""
    problem = _one({"x": (int | None, None)}, {"x": (int, 0)})
    assert problem.kind == "narrowed"
    assert "no longer accepts null (nullable in 1.0)" in str(problem)


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (
            Annotated[str, Field(max_length=200)],
            Annotated[str, Field(max_length=100)],
            "max_length 200 → 100",
        ),
        (str, Annotated[str, Field(max_length=100)], "max_length none → 100"),
        (str, Annotated[str, Field(min_length=2)], "min_length 0 → 2"),
        (str, Annotated[str, Field(pattern=r"^[A-Z]+$")], "no pattern → pattern '[A-Z]+'"),
        (
            Annotated[str, Field(pattern=r"^[A-Z]+$")],
            Annotated[str, Field(pattern=r"^[A-Z]{2}$")],
            "pattern '[A-Z]+' → pattern '[A-Z]{2}'",
        ),
        (Annotated[int, Field(ge=0)], Annotated[int, Field(ge=1)], "lower bound >= 0 → >= 1"),
        (Annotated[int, Field(ge=0)], Annotated[int, Field(gt=0)], "lower bound >= 0 → > 0"),
        (int, Annotated[int, Field(lt=10)], "upper bound none → < 10"),
        (Annotated[int, Field(le=10)], Annotated[int, Field(le=9)], "upper bound <= 10 → <= 9"),
        (
            Annotated[Decimal, Field(decimal_places=2)],
            Annotated[Decimal, Field(decimal_places=1)],
            "decimal_places 2 → 1",
        ),
        (
            Annotated[Decimal, Field(max_digits=14)],
            Annotated[Decimal, Field(max_digits=10)],
            "max_digits 14 → 10",
        ),
        (Colour, FewerColours, "enum values removed: 'green'"),
        (list[str], Annotated[list[str], Field(max_length=3)], "list max_length none → 3"),
        (list[str], Annotated[list[str], Field(min_length=1)], "list min_length 0 → 1"),
    ],
    ids=lambda value: str(value)[:30],
)
def test_narrowed_constraints_are_refused(old: Any, new: Any, reason: str) -> None:
    """Any constraint that refuses a value 1.0 accepted is a narrowing, said in words."""
    problem = _one({"value": old}, {"value": new})
    assert problem.kind == "narrowed"
    assert str(problem).startswith("contract test.thing@1.1: field 'value' narrowed: ")
    assert reason in str(problem)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (Annotated[int, Field(gt=0)], Annotated[int, Field(ge=0)]),
        (Annotated[str, Field(pattern=r"^a+$")], str),
        (Annotated[str, Field(min_length=3)], Annotated[str, Field(min_length=1)]),
        (Annotated[list[str], Field(max_length=3)], list[str]),
    ],
    ids=lambda value: str(value)[:30],
)
def test_widened_constraints_are_compatible(old: Any, new: Any) -> None:
    """Loosening a constraint accepts every old value."""
    assert _problems({"value": old}, {"value": new}) == []


def test_reordering_fields_is_refused_for_the_xml_face() -> None:
    """XML sequences are ordered, so moving a field breaks 1.0 XML documents."""
    problem = _one({"a": str, "b": str, "c": str}, {"b": str, "a": str, "c": str})
    assert problem.kind == "reordered"
    assert str(problem) == (
        "contract test.thing@1.1: field 'b' moved before 'a'; XML keeps the 1.0 order (a, b, c)"
    )


def test_nested_contracts_are_compared_field_by_field() -> None:
    """A minor of a nested contract is fine; a breach inside it is reported by dotted path."""
    inner_old = _version(0, name="test.inner", code=Annotated[str, Field(max_length=9)])
    inner_minor = _version(
        1, name="test.inner", code=Annotated[str, Field(max_length=9)], note=(str | None, None)
    )
    inner_narrow = _version(1, name="test.inner", code=Annotated[str, Field(max_length=3)])
    assert _problems({"inner": inner_old}, {"inner": inner_minor}) == []
    problem = _one({"inner": inner_old}, {"inner": inner_narrow})
    assert str(problem).startswith("contract test.thing@1.1: field 'inner.code' narrowed")


def test_a_nested_contract_of_another_name_is_a_retype() -> None:
    """Swapping a nested contract for a different contract is a retype naming both."""
    first = _version(0, name="test.first", x=str)
    second = _version(0, name="test.second", x=str)
    problem = _one({"inner": first}, {"inner": second})
    assert problem.kind == "retyped"
    assert "test.first@1.0" in str(problem) and "test.second@1.0" in str(problem)


def test_every_problem_is_reported_not_just_the_first() -> None:
    """One check lists every breach of a version."""
    problems = _problems({"a": str, "b": int, "c": dt.date}, {"b": str, "c": dt.date, "d": int})
    assert sorted(p.kind for p in problems) == ["removed", "required", "retyped"]


def test_check_versions_compares_consecutive_minors_of_one_major_only() -> None:
    """1.0→1.1→1.2 are compared pairwise; a new major is a new shape and not compared."""
    v10 = _version(0, x=str)
    v11 = _version(1, x=str, y=(int | None, None))
    v12 = _version(2, x=str)  # drops y: incompatible with 1.1, not with 1.0
    v20 = _version(0, major=2, z=int)
    problems = check_versions([v20, v12, v10, v11])
    assert [str(p) for p in problems] == [
        "contract test.thing@1.2: field 'y' removed (present in 1.1)"
    ]


def test_the_shipped_contracts_are_compatible() -> None:
    """person.identity@1.1 reads every 1.0 document; nothing shipped breaks its predecessor."""
    assert check_versions(default_registry()) == []
