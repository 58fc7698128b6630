"""What a service declares per purpose: its legal basis or the need for consent, and its fields.

A purpose may state ``retention = "P5Y"`` (an ISO 8601 duration): how long what the
hub stores for it is kept (:mod:`hub.domain.retention`).

A field path is a dotted path into the response contract (``person.national_id``,
``periods.employer_name``: list items are implied). A path naming a nested
contract allows all of it. Paths are checked against the contract when the
services are loaded, so a typo is refused before any query is answered.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from hub.domain.retention import RetentionPeriodError, check_period
from hub.service_layer.security.refusals import PurposeDefinitionError


@dataclass(frozen=True)
class Purpose:
    """One purpose a service may be queried for; exactly one of legal_basis / consent."""

    name: str
    fields: tuple[str, ...]
    legal_basis: str = ""
    consent: bool = False
    retention: str = ""  # ISO 8601 duration (hub.domain.retention); "" kept until forgotten

    @property
    def basis(self) -> str:
        """``consent`` or ``legal-basis``: what the decision rests on."""
        return "consent" if self.consent else "legal-basis"


def field_paths(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    """Every dotted path of ``model``, nested contracts and their fields included."""
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        yield path
        nested = _nested_model(info.annotation)
        if nested is not None:
            yield from field_paths(nested, f"{path}.")


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model inside ``annotation`` (through Optional, list, Annotated), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is None:
        return None
    if origin is typing.Annotated:
        return _nested_model(typing.get_args(annotation)[0])
    if origin in (list, tuple, typing.Union, types.UnionType) or origin is typing.Optional:
        for arg in typing.get_args(annotation):
            found = _nested_model(arg)
            if found is not None:
                return found
    return None


def parse_purposes(
    tables: Iterable[Mapping[str, Any]], response: type[BaseModel], *, where: str
) -> tuple[Purpose, ...]:
    """``[[service.purpose]]`` tables as purposes, each checked against ``response``.

    ``where`` names the file and service for the error messages.
    """
    known = set(field_paths(response))
    purposes: dict[str, Purpose] = {}
    for index, table in enumerate(tables):
        name = str(table.get("name", "")).strip()
        label = f"{where}, purpose {name or f'[{index}]'}"
        if not name:
            raise PurposeDefinitionError(f"{label}: lacks a name", field="name")
        if name in purposes:
            raise PurposeDefinitionError(f"{label}: declared twice", field="name")
        purposes[name] = _purpose(table, name, label, known)
    return tuple(purposes.values())


def _purpose(table: Mapping[str, Any], name: str, label: str, known: set[str]) -> Purpose:
    legal_basis = str(table.get("legal_basis", "")).strip()
    consent = bool(table.get("consent", False))
    if bool(legal_basis) == consent:
        raise PurposeDefinitionError(
            f"{label}: declare either legal_basis = \"...\" or consent = true (exactly one)",
            field="legal_basis",
        )
    fields = table.get("fields")
    if not isinstance(fields, list) or not fields:
        raise PurposeDefinitionError(f"{label}: fields must list response paths", field="fields")
    for path in fields:
        if path not in known:
            raise PurposeDefinitionError(
                f"{label}: unknown field path {path!r} in the response contract", field="fields"
            )
    return Purpose(name, tuple(str(f) for f in fields), legal_basis, consent,
                   _retention(table, label))


def _retention(table: Mapping[str, Any], label: str) -> str:
    """The purpose's ``retention`` (an ISO 8601 duration), checked; "" when not stated."""
    value = table.get("retention", "")
    if not isinstance(value, str):
        raise PurposeDefinitionError(
            f"{label}: retention must be a string, an ISO 8601 duration such as \"P5Y\"",
            field="retention")
    if not value.strip():
        return ""
    try:
        return check_period(value.strip())
    except RetentionPeriodError as exc:
        raise PurposeDefinitionError(f"{label}: retention {exc.message}",
                                     field="retention") from None


def check_purposes(purposes: Iterable[Purpose], response: type[BaseModel], *, where: str) -> None:
    """Refuse purposes built in code whose field paths the response contract lacks."""
    known = set(field_paths(response))
    for purpose in purposes:
        for path in purpose.fields:
            if path not in known:
                raise PurposeDefinitionError(
                    f"{where}, purpose {purpose.name}: unknown field path {path!r} in the "
                    "response contract", field="fields")


def dump_purposes(purposes: Iterable[Purpose]) -> list[str]:
    """TOML lines of ``[[service.purpose]]`` tables (read back by :func:`parse_purposes`)."""
    lines: list[str] = []
    for purpose in purposes:
        lines += ["", "[[service.purpose]]", f'name = "{purpose.name}"']
        if purpose.consent:
            lines.append("consent = true")
        else:
            lines.append(f'legal_basis = "{purpose.legal_basis}"')
        lines.append("fields = [" + ", ".join(f'"{f}"' for f in purpose.fields) + "]")
        if purpose.retention:
            lines.append(f'retention = "{purpose.retention}"')
    return lines


def narrow(allowed: Iterable[str], within: Iterable[str]) -> tuple[str, ...]:
    """The paths both sets allow (a path allows its whole subtree); ``within`` empty: all."""
    allowed, within = tuple(allowed), tuple(within)
    if not within:
        return allowed
    kept: set[str] = set()
    for a in allowed:
        for w in within:
            if a == w or w.startswith(a + "."):
                kept.add(w)
            elif a.startswith(w + "."):
                kept.add(a)
    return tuple(sorted(kept))
