"""The contract registry: the hub looks contracts up here by ``name@MAJOR.MINOR``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from contracts.base import Contract, ContractId
from contracts.errors import ContractError, HubError
from contracts.upcasting import Document, Upcaster, UpcasterError, plan
from contracts.validation import validate_contract


class UnknownContractError(HubError, LookupError):
    """Raised when a contract identity is not registered."""

    code = "unknown-contract"
    status = 404

    def __init__(self, contract: str, known: list[str]) -> None:
        super().__init__(f"unknown contract {contract!r}; known: {', '.join(known) or 'none'}")
        self.contract = contract
        self.known = known


def _cid(contract: str | ContractId) -> ContractId:
    return contract if isinstance(contract, ContractId) else ContractId.parse(contract)


class ContractRegistry:
    """Maps contract identities to their models, and majors to the upcasters between them."""

    def __init__(self) -> None:
        self._models: dict[ContractId, type[Contract]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    def register(self, model: type[Contract]) -> type[Contract]:
        """Register a contract model; registering a second model under one identity is an error."""
        cid = model.contract_id()
        existing = self._models.get(cid)
        if existing is not None and existing is not model:
            raise ValueError(f"contract {cid} is already registered as {existing.__qualname__}")
        self._models[cid] = model
        return model

    def register_upcaster(self, upcaster: Upcaster) -> Upcaster:
        """Register the one upcaster out of a major; both its contracts must be registered."""
        for cid in (upcaster.source, upcaster.target):
            self.get(cid)
        key = (upcaster.source.name, upcaster.source.major)
        existing = self._upcasters.get(key)
        if existing is not None and existing != upcaster:
            raise UpcasterError(
                str(upcaster.target),
                f"{upcaster.source.name}@{upcaster.source.major}.x already upcasts "
                f"through {existing.name}",
            )
        self._upcasters[key] = upcaster
        return upcaster

    def get(self, contract: str | ContractId) -> type[Contract]:
        """Return the model for an exact identity such as ``person.identity@1.0``."""
        cid = _cid(contract)
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

    def upcasters(self) -> tuple[Upcaster, ...]:
        """Every registered upcaster, ordered by source identity."""
        return tuple(sorted(self._upcasters.values(), key=lambda upcaster: upcaster.source))

    def read(
        self,
        document: Mapping[str, Any],
        stored_as: str | ContractId,
        read_as: str | ContractId,
    ) -> Contract:
        """Validate a document stored (or sent) as ``stored_as`` into a ``read_as`` contract.

        Within a major the document is simply validated as the later minor; across
        majors it goes through the declared upcasters in turn. Raises
        :class:`~contracts.upcasting.NoUpcastPathError` when there is no way, and
        :class:`~contracts.errors.ContractError` (with field issues) when the document
        does not satisfy ``stored_as``.
        """
        source, target = _cid(stored_as), _cid(read_as)
        self.get(target)
        steps = plan(self._upcasters, source, target)
        current = validate_contract(self.get(source), document)
        for step in steps:
            # An earlier minor reads as the upcaster's source minor by construction.
            readable = validate_contract(self.get(step.source), current.model_dump(mode="json"))
            current = self._upcast_step(step, readable.model_dump(mode="json"))
        return validate_contract(self.get(target), current.model_dump(mode="json"))

    def upcast(
        self, document: Mapping[str, Any], from_id: str | ContractId, to_id: str | ContractId
    ) -> Document:
        """The ``from_id`` document as a JSON-shaped ``to_id`` document (see :meth:`read`)."""
        return self.read(document, from_id, to_id).model_dump(mode="json")

    def _upcast_step(self, step: Upcaster, document: Document) -> Contract:
        try:
            return validate_contract(self.get(step.target), step(document))
        except ContractError as exc:
            raise UpcasterError(
                str(step.target),
                f"upcaster {step.name} from {step.source} produced an invalid document: "
                f"{exc.message}",
                issues=exc.issues,
            ) from exc

    def __iter__(self) -> Iterator[type[Contract]]:
        return iter(self._models[cid] for cid in sorted(self._models))

    def __len__(self) -> int:
        return len(self._models)
