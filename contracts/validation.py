"""Validate data against a contract, turning pydantic errors into field issues."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import ValidationError

from contracts.base import Contract
from contracts.errors import ContractError, FieldIssue

C = TypeVar("C", bound=Contract)


def _pointer(loc: tuple[int | str, ...]) -> str:
    return "/" + "/".join(str(part) for part in loc) if loc else "$"


def issues_from_validation_error(exc: ValidationError) -> tuple[FieldIssue, ...]:
    """Convert pydantic's errors to field issues whose paths are JSON Pointers."""
    return tuple(
        FieldIssue(
            path=_pointer(tuple(err["loc"])),
            reason=err["msg"],
            code=err["type"],
            field=".".join(str(p) for p in err["loc"]) or None,
        )
        for err in exc.errors(include_url=False)
    )


def validate_contract(model: type[C], data: Any) -> C:
    """Validate python data (a mapping) into ``model`` or raise :class:`ContractError`."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _contract_error(model, exc) from None


def validate_contract_json(model: type[C], data: bytes | str) -> C:
    """Validate a JSON document into ``model`` or raise :class:`ContractError`."""
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        raise _contract_error(model, exc) from None


def _contract_error(model: type[Contract], exc: ValidationError) -> ContractError:
    issues = issues_from_validation_error(exc)
    return ContractError(str(model.contract_id()), f"{len(issues)} field error(s)", issues=issues)
