"""Shared, versioned data contracts.

A contract is a pydantic model with an identity ``name@MAJOR.MINOR``. Contracts
know nothing of the hub: adapters translate native messages into them, the hub
routes and records them.
"""

from contracts.base import Contract, ContractId, ContractIdError
from contracts.catalogue import default_registry
from contracts.registry import ContractRegistry, UnknownContractError

__all__ = [
    "Contract",
    "ContractId",
    "ContractIdError",
    "ContractRegistry",
    "UnknownContractError",
    "default_registry",
]
