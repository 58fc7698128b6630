"""The contract registry: the hub looks contracts up here by ``name@MAJOR.MINOR``."""

from __future__ import annotations

from collections.abc import Iterator

from contracts.base import Contract, ContractId


class UnknownContractError(LookupError):
    """Raised when a contract identity is not registered."""

    def __init__(self, contract: str, known: list[str]) -> None:
        self.contract = contract
        self.known = known
        super().__init__(f"unknown contract {contract!r}; known: {', '.join(known) or 'none'}")


class ContractRegistry:
    """Maps contract identities to their models."""

    def __init__(self) -> None:
        self._models: dict[ContractId, type[Contract]] = {}

    def register(self, model: type[Contract]) -> type[Contract]:
        """Register a contract model; registering a second model under one identity is an error."""
        cid = model.contract_id()
        existing = self._models.get(cid)
        if existing is not None and existing is not model:
            raise ValueError(f"contract {cid} is already registered as {existing.__qualname__}")
        self._models[cid] = model
        return model

    def get(self, contract: str | ContractId) -> type[Contract]:
        """Return the model for an exact identity such as ``person.identity@1.0``."""
        cid = contract if isinstance(contract, ContractId) else ContractId.parse(contract)
        try:
            return self._models[cid]
        except KeyError:
            raise UnknownContractError(str(cid), [str(c) for c in sorted(self._models)]) from None

    def latest(self, name: str) -> type[Contract]:
        """Return the newest registered version of a contract name."""
        versions = [cid for cid in self._models if cid.name == name]
        if not versions:
            raise UnknownContractError(name, [str(c) for c in sorted(self._models)])
        return self._models[max(versions)]

    def __iter__(self) -> Iterator[type[Contract]]:
        return iter(self._models[cid] for cid in sorted(self._models))

    def __len__(self) -> int:
        return len(self._models)
