"""Data minimisation: a response document cut down to the fields a purpose may see.

:func:`minimise` is pure and works on the JSON form of a contract: a key is
kept when its dotted path is allowed, or leads to an allowed path (then only
the allowed part below it is kept); list items are implied, so
``periods.employer_name`` keeps that key in every period. Everything else is
dropped, key and value.

:func:`partial_model` gives the shape such a document validates against: the
response contract with every field optional, its validators left behind
(they speak of fields that may now be absent).
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, create_model

from contracts.base import Contract


def minimise(document: dict[str, Any], allowed: Iterable[str]) -> dict[str, Any]:
    """``document`` with only the fields under the ``allowed`` dotted paths."""
    return _keep(document, _tree(frozenset(allowed)))


# A purpose's allowed paths as a tree: key -> True (kept whole) or the tree below it.
_Tree = dict[str, Any]


@functools.lru_cache(maxsize=1024)
def _tree(allowed: frozenset[str]) -> _Tree:
    """The allowed paths as a tree, built once per field set: each key of a document is then
    looked up once, instead of being compared with every allowed path."""
    root: _Tree = {}
    for path in allowed:  # a parent kept whole wins over paths below it, in either order
        *parents, last = path.split(".")
        node: Any = root
        for part in parents:
            node = node.setdefault(part, {})
            if node is True:
                break
        else:
            node[last] = True
    return root


def _keep(node: dict[str, Any], tree: _Tree) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, value in node.items():
        below = tree.get(key)
        if below is True:
            kept[key] = value
        elif below is not None:
            part = _below(value, below)
            if part is not None:
                kept[key] = part
    return kept


def _below(value: Any, tree: _Tree) -> Any:
    """The allowed part of a nested value; None when it holds nothing that may be seen."""
    if isinstance(value, dict):
        return _keep(value, tree)
    if isinstance(value, list):
        return [_keep(item, tree) for item in value if isinstance(item, dict)]
    return None  # a scalar where the path expects more: nothing below it is allowed


class PartialContract(Contract):
    """Marker base of the all-optional twins made by :func:`partial_model`."""


@functools.cache
def partial_model(model: type[Contract]) -> type[Contract]:
    """``model`` with every field optional (nested contracts too), same contract id."""
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        fields[name] = (_optional(info.annotation) | None, None)
    partial = create_model(
        f"Partial{model.__name__}", __base__=PartialContract, __module__=__name__, **fields
    )
    partial.CONTRACT_ID = model.CONTRACT_ID
    partial.SUBJECT_FIELD = None
    partial.__doc__ = f"{model.__name__}, as a purpose may disclose it (fields may be absent)."
    return typing.cast(type[Contract], partial)


def _optional(annotation: Any) -> Any:
    """``annotation`` with every nested contract replaced by its partial twin."""
    if isinstance(annotation, type) and issubclass(annotation, Contract):
        return partial_model(annotation)
    origin = typing.get_origin(annotation)
    if origin is None:
        return annotation
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return typing.Annotated[(_optional(args[0]), *args[1:])]
    if origin is list:
        return list[_optional(args[0])]  # type: ignore[misc]
    if origin in (typing.Union, __import__("types").UnionType):
        return functools.reduce(lambda a, b: a | b, [_optional(a) for a in args])
    return annotation


def disclosed_document(contract: BaseModel) -> dict[str, Any]:
    """The JSON form of a contract, without the fields a partial instance never received."""
    return contract.model_dump(mode="json", exclude_unset=isinstance(contract, PartialContract))


def disclosed_json(contract: BaseModel) -> bytes:
    """As :func:`disclosed_document`, as JSON bytes."""
    return contract.model_dump_json(exclude_unset=isinstance(contract, PartialContract)).encode()
