"""JSON <-> contracts for clients that speak the contract's JSON form directly."""

from __future__ import annotations

import json
from typing import TypeVar

from adapters.errors import MalformedInput
from contracts.base import Contract
from contracts.errors import FieldIssue
from contracts.validation import validate_contract

C = TypeVar("C", bound=Contract)


def decode_json(model: type[C], raw: bytes) -> C:
    """Parse ``raw`` as JSON and validate it as ``model``.

    Raises :class:`MalformedInput` (code ``not-well-formed``, with line and
    column) when the bytes are not JSON, and :class:`ContractError` with one
    issue per field (JSON Pointer paths) when the document violates the contract.
    """
    try:
        data = json.loads(raw)
    except UnicodeDecodeError as exc:
        raise MalformedInput(
            f"body is not UTF-8: {exc.reason} at byte {exc.start}",
            issues=(
                FieldIssue(
                    path="$", reason=f"invalid UTF-8 at byte {exc.start}", code="invalid-encoding"
                ),
            ),
        ) from None
    except json.JSONDecodeError as exc:
        reason = f"{exc.msg} (line {exc.lineno}, column {exc.colno})"
        raise MalformedInput(
            f"body is not valid JSON: {reason}",
            issues=(FieldIssue(path="$", reason=reason, code="not-well-formed"),),
        ) from None
    return validate_contract(model, data)


def encode_json(contract: Contract) -> bytes:
    """The contract's canonical JSON form (dates ISO 8601, decimals as strings)."""
    return contract.model_dump_json().encode()
