"""JSON <-> contracts for clients that speak the contract's JSON form directly."""

from __future__ import annotations

from typing import TypeVar

from contracts.base import Contract
from contracts.validation import validate_contract
from translation.json_reader import DEFAULT_LIMITS, JsonLimits, read_json

C = TypeVar("C", bound=Contract)


def decode_json(model: type[C], raw: bytes, limits: JsonLimits = DEFAULT_LIMITS) -> C:
    """Read ``raw`` with the bounded, strict reader and validate it as ``model``.

    Raises a :class:`translation.json_reader.JsonRefused` (a ``MalformedInput``,
    with a stable ``json-*`` code and the byte offset) when the bytes are not
    strict RFC 8259 JSON within ``limits``, and :class:`ContractError` with one
    issue per field (JSON Pointer paths) when the document violates the contract.
    """
    return validate_contract(model, read_json(raw, limits))


def encode_json(contract: Contract) -> bytes:
    """The contract's canonical JSON form (dates ISO 8601, decimals as strings)."""
    return contract.model_dump_json().encode()
