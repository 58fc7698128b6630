"""Contract-registry fingerprints: how two regions tell whether they mean the same contracts.

A contract version's fingerprint is ``sha256:`` of the RFC 8785 canonical JSON
of ``{"contract": "<name@M.m>", "schema": <its JSON Schema>}`` — the schema as
:func:`contracts.renderings.json_schema` renders it, i.e. the committed
``contracts/schemas/<id>.schema.json``, so a region that does not run Python can
compute it from that file. A registry's fingerprint covers every contract
fingerprint and every upcaster (source → target), so equal registry
fingerprints mean the same contracts *and* the same ways to read old versions.

Regions publish their fingerprint in their region card; the receiver keeps it in
its trust list and compares per contract version before recognising anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts import Contract, ContractId, ContractIdError, ContractRegistry
from contracts.renderings import json_schema
from contracts.upcasting import NoUpcastPathError, plan
from federation.canonical import digest_json, is_digest
from federation.errors import FingerprintError


def contract_fingerprint(model: type[Contract]) -> str:
    """The fingerprint of one contract version (its identity and JSON Schema)."""
    return digest_json({"contract": str(model.contract_id()), "schema": json_schema(model)})


@dataclass(frozen=True)
class RegistryFingerprint:
    """A registry's contracts (id → fingerprint) and upcasters, and the digest of both."""

    contracts: Mapping[str, str]
    upcasters: tuple[tuple[str, str], ...] = ()
    digest: str = field(default="")

    def __post_init__(self) -> None:
        expected = digest_json(self._covered())
        if not self.digest:
            object.__setattr__(self, "digest", expected)
        elif self.digest != expected:
            raise FingerprintError(
                f"registry fingerprint {self.digest} does not match its contents ({expected})"
            )

    def _covered(self) -> dict[str, Any]:
        return {"contracts": dict(self.contracts),
                "upcasters": [list(pair) for pair in self.upcasters]}

    def as_json(self) -> dict[str, Any]:
        return {"digest": self.digest, **self._covered()}

    @classmethod
    def from_json(cls, data: object) -> RegistryFingerprint:
        """Parse :meth:`as_json`, checking every field and the digest."""
        if not isinstance(data, Mapping):
            raise FingerprintError("a registry fingerprint is a JSON object")
        contracts, upcasters = data.get("contracts"), data.get("upcasters", [])
        if not isinstance(contracts, Mapping) or not all(
            _is_contract_id(k) and is_digest(v) for k, v in contracts.items()
        ):
            raise FingerprintError("contracts must map name@MAJOR.MINOR to sha256 digests")
        if not isinstance(upcasters, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(map(_is_contract_id, p))
            for p in upcasters
        ):
            raise FingerprintError("upcasters must be [source, target] contract id pairs")
        stated = data.get("digest")
        if not isinstance(stated, str):
            raise FingerprintError("digest is required")
        return cls(dict(contracts), tuple((s, t) for s, t in upcasters), stated)


def registry_fingerprint(registry: ContractRegistry) -> RegistryFingerprint:
    """The fingerprint of every contract and upcaster in ``registry``."""
    contracts = {str(model.contract_id()): contract_fingerprint(model) for model in registry}
    upcasters = tuple((str(u.source), str(u.target)) for u in registry.upcasters())
    return RegistryFingerprint(dict(sorted(contracts.items())), upcasters)


def readable_as(registry: ContractRegistry, contract: str) -> ContractId | None:
    """The newest version of ``contract``'s name this registry can read its documents as.

    The version itself when registered; else a later minor of the same major or,
    through the registry's upcasters, a later major (``contracts.upcasting.plan``
    decides); None when there is no way. Never a downcast.
    """
    try:
        cid = ContractId.parse(contract)
    except ContractIdError:
        return None
    known = sorted((m.contract_id() for m in registry if m.contract_id().name == cid.name),
                   reverse=True)
    if cid in known:
        return cid
    upcasters = {(u.source.name, u.source.major): u for u in registry.upcasters()}
    for target in known:
        try:
            plan(upcasters, cid, target)
        except NoUpcastPathError:
            continue
        return target
    return None


def _is_contract_id(text: object) -> bool:
    if not isinstance(text, str):
        return False
    try:
        ContractId.parse(text)
    except ContractIdError:
        return False
    return True


@dataclass(frozen=True)
class Reading:
    """How this region reads a peer's contract version: as ``read_as``, or not (``detail``)."""

    read_as: ContractId | None
    detail: str = ""


def reading(
    registry: ContractRegistry,
    ours: RegistryFingerprint,
    theirs: RegistryFingerprint | None,
    contract: str,
) -> Reading:
    """Decide whether a ``contract`` record from a peer (``theirs``) can be read here.

    Where both registries have the version, their fingerprints must be equal: the
    same name and version with another schema is not the same contract. Where only
    the peer has it, it must be readable here as a later version (see
    :func:`readable_as`). ``theirs`` is None when the peer published no fingerprint;
    then only this region's registry is consulted.
    """
    if theirs is not None:
        their_fingerprint = theirs.contracts.get(contract)
        if their_fingerprint is None:
            return Reading(None, f"the issuer's registry fingerprint does not list {contract}")
        our_fingerprint = ours.contracts.get(contract)
        if our_fingerprint is not None and our_fingerprint != their_fingerprint:
            return Reading(None, f"{contract} has another schema here ({our_fingerprint}) "
                                 f"than at the issuer ({their_fingerprint})")
    read_as = readable_as(registry, contract)
    if read_as is None:
        return Reading(None, f"this region neither knows {contract} nor can upcast it")
    return Reading(read_as)
