"""Minimisation, property-based: for random contracts, purposes and field sets, the answer
a client receives never carries a field outside its purpose (issue #6)."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import create_model

from contracts.base import Contract, ContractId
from hub.service_layer.security.minimise import disclosed_document, minimise, partial_model
from hub.service_layer.security.purposes import field_paths, narrow

_names = st.sampled_from(["a", "b", "c", "id", "name", "items", "start", "owner", "code"])
_counter = itertools.count()

# A shape: "str" | "int" | "opt" (optional str) | ("model", {name: shape}) | ("list", model)
_scalar = st.sampled_from(["str", "int", "opt"])
_shape = st.recursive(
    _scalar,
    lambda inner: st.one_of(
        st.tuples(st.just("model"), st.dictionaries(_names, inner, min_size=1, max_size=4)),
        st.tuples(st.just("list"),
                  st.tuples(st.just("model"),
                            st.dictionaries(_names, inner, min_size=1, max_size=3))),
    ),
    max_leaves=10,
)
_root = st.dictionaries(_names, _shape, min_size=1, max_size=5)


def _model(fields: dict[str, Any]) -> type[Contract]:
    """A contract class for the shape (nested contracts and lists of them)."""
    annotations: dict[str, Any] = {}
    for name, shape in fields.items():
        annotations[name] = (_annotation(shape), None if shape == "opt" else ...)
    model = create_model(f"Random{next(_counter)}", __base__=Contract, **annotations)
    model.CONTRACT_ID = ContractId(f"test.random-{next(_counter)}", 1, 0)
    return model


def _annotation(shape: Any) -> Any:
    if shape == "str":
        return str
    if shape == "int":
        return int
    if shape == "opt":
        return str | None
    kind, inner = shape
    if kind == "model":
        return _model(inner)
    return list[_model(inner[1])]  # type: ignore[misc]


def _document(draw: st.DrawFn, fields: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for name, shape in fields.items():
        doc[name] = _value(draw, shape)
    return doc


def _value(draw: st.DrawFn, shape: Any) -> Any:
    if shape in ("str", "opt"):
        return draw(st.one_of(st.none(), st.text(max_size=5))) if shape == "opt" else draw(
            st.text(max_size=5))
    if shape == "int":
        return draw(st.integers(-5, 5))
    kind, inner = shape
    if kind == "model":
        return _document(draw, inner)
    return [_document(draw, inner[1]) for _ in range(draw(st.integers(0, 3)))]


@st.composite
def _cases(draw: st.DrawFn) -> tuple[type[Contract], dict[str, Any], tuple[str, ...]]:
    fields = draw(_root)
    model = _model(fields)
    document = model.model_validate(_document(draw, fields)).model_dump(mode="json")
    paths = sorted(field_paths(model))
    purpose = draw(st.lists(st.sampled_from(paths), min_size=1, max_size=4, unique=True))
    consent = draw(st.lists(st.sampled_from(paths), max_size=3, unique=True))
    return model, document, narrow(purpose, consent) if consent else tuple(purpose)


def _leaf_paths(node: Any, prefix: str = "") -> set[str]:
    """Dotted paths of the scalar values (list items merged); containers are not leaves."""
    if isinstance(node, dict):
        return set().union(*(_leaf_paths(v, f"{prefix}{k}.") for k, v in node.items()))
    if isinstance(node, list):
        return set().union(*(_leaf_paths(item, prefix) for item in node))
    return {prefix.rstrip(".")}


def _key_paths(node: Any, prefix: str = "") -> set[str]:
    """Dotted paths of every key, containers included."""
    if isinstance(node, dict):
        return set().union(*({f"{prefix}{k}"} | _key_paths(v, f"{prefix}{k}.")
                             for k, v in node.items()))
    if isinstance(node, list):
        return set().union(*(_key_paths(item, prefix) for item in node))
    return set()


def _allowed(path: str, allowed: tuple[str, ...]) -> bool:
    return any(path == a or path.startswith(a + ".") for a in allowed)


def _on_the_way(path: str, allowed: tuple[str, ...]) -> bool:
    return _allowed(path, allowed) or any(a.startswith(path + ".") for a in allowed)


@settings(max_examples=300, deadline=None)
@given(_cases())
def test_no_disclosed_field_lies_outside_the_purpose(case) -> None:  # type: ignore[no-untyped-def]
    """Every value the client receives is under an allowed path, and every key is one or
    leads to one; the partial twin of the response contract adds nothing."""
    model, document, allowed = case
    shown = minimise(document, allowed)
    received = disclosed_document(partial_model(model).model_validate(shown))
    assert received == shown
    for leaf in _leaf_paths(received):
        assert _allowed(leaf, allowed), (leaf, allowed)
    for key in _key_paths(received):
        assert _on_the_way(key, allowed), (key, allowed)


@settings(max_examples=200, deadline=None)
@given(_cases())
def test_every_allowed_value_is_kept(case) -> None:  # type: ignore[no-untyped-def]
    """Minimisation drops only what the purpose hides: allowed values survive."""
    _, document, allowed = case
    expected = {leaf for leaf in _leaf_paths(document) if _allowed(leaf, allowed)}
    assert expected <= _leaf_paths(minimise(document, allowed))


def test_narrow_keeps_what_both_allow() -> None:
    """A subtree on one side and a leaf under it on the other give the leaf."""
    assert narrow(["person", "periods.start"], ["person.national_id", "periods"]) == (
        "periods.start", "person.national_id")
    assert narrow(["a", "b"], []) == ("a", "b")
    assert narrow(["a"], ["b"]) == ()


def _by_definition(node: dict[str, Any], allowed: frozenset[str], prefix: str = "") -> Any:
    """The module's documented rule, path by path: a key stays whole when its dotted path
    is allowed, is cut down when an allowed path lies below it, and goes otherwise."""
    kept: dict[str, Any] = {}
    for key, value in node.items():
        path = f"{prefix}{key}"
        if path in allowed:
            kept[key] = value
        elif any(a.startswith(path + ".") for a in allowed):
            if isinstance(value, dict):
                kept[key] = _by_definition(value, allowed, path + ".")
            elif isinstance(value, list):
                kept[key] = [_by_definition(item, allowed, path + ".") for item in value
                             if isinstance(item, dict)]
    return kept


_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=3)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(_names, inner, max_size=4)),
    max_leaves=12,
)
_paths = st.lists(_names, min_size=1, max_size=4).map(".".join)


@settings(max_examples=400, deadline=None)
@given(document=st.dictionaries(_names, _json, max_size=5),
       allowed=st.lists(st.one_of(_paths, st.sampled_from(["", "a.", ".a", "a..b"])),
                        max_size=6))
def test_minimise_follows_its_rule_path_by_path(document: dict[str, Any],
                                                 allowed: list[str]) -> None:
    """The tree the allowed paths are compiled into keeps exactly what the path-by-path
    rule keeps, for any JSON document and any field list (parents and children together,
    empty segments, scalars where a path expects more)."""
    assert minimise(document, allowed) == _by_definition(document, frozenset(allowed))
