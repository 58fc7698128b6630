"""Trust lists: which peer regions' keys this region accepts, signed by this region.

A region describes itself to peers with a **region card** — its public keys with
their validity and its contract-registry fingerprint, signed by its own active
key (proof that it holds the key it names). An operator checks a card's ``kid``
out of band, then adds the peer to the region's **trust list**: a signed
document (JWS, typ ``interop-hub-trust-list+jws``) naming, per peer region, its
keys, their validity and its registry fingerprint. A trust list carries a
``serial`` that only grows, so an older list cannot silently replace a newer
one, and verifies only under the issuing region's own key.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from federation.canonical import instant, parse_instant, truncate
from federation.errors import (
    FingerprintError,
    StatementError,
    TrustListError,
    UnknownKeyError,
    UnknownPeerError,
)
from federation.fingerprints import RegistryFingerprint
from federation.jws import open_statement, sign_statement
from federation.keys import KeyRing, PublicKey

TRUST_LIST_FILE = "trust-list.jws"
TRUST_LIST_TYP = "interop-hub-trust-list+jws"
REGION_CARD_TYP = "interop-hub-region+jws"
TRUST_LIST_FORMAT = "interop-hub/trust-list/v1"
REGION_CARD_FORMAT = "interop-hub/region/v1"


@dataclass(frozen=True)
class Peer:
    """One region as another knows it: its public keys and its registry fingerprint."""

    region: str
    keys: tuple[PublicKey, ...]
    registry: RegistryFingerprint | None = None

    def key(self, kid: str) -> PublicKey:
        for key in self.keys:
            if key.kid == kid:
                return key
        raise UnknownKeyError(self.region, kid)

    def as_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "keys": [key.as_json() for key in self.keys],
            "registry": None if self.registry is None else self.registry.as_json(),
        }

    @classmethod
    def from_json(cls, data: object) -> Peer:
        """Parse :meth:`as_json`; ValueError names what is wrong."""
        if not isinstance(data, Mapping):
            raise ValueError("a peer is a JSON object")
        region, keys, registry = data.get("region"), data.get("keys"), data.get("registry")
        if not isinstance(region, str) or not isinstance(keys, list) or not keys:
            raise ValueError("a peer names its region and at least one key")
        try:
            fingerprint = None if registry is None else RegistryFingerprint.from_json(registry)
        except FingerprintError as exc:
            raise ValueError(exc.message) from None
        return cls(region, tuple(PublicKey.from_json(key) for key in keys), fingerprint)


def publish_region_card(keys: KeyRing, registry: RegistryFingerprint, *, now: dt.datetime) -> str:
    """This region's card for peers: its public keys and fingerprint, signed by its active key."""
    card = {"format": REGION_CARD_FORMAT, "issued_at": instant(now),
            **Peer(keys.region, keys.public_keys(), registry).as_json()}
    return sign_statement(card, REGION_CARD_TYP, keys.signing_key(now))


def read_region_card(compact: str) -> Peer:
    """The peer a card describes, after checking it is signed by one of the keys it names.

    This proves possession, not identity: compare the card's ``kid`` with the one
    the peer's operator gave you before trusting it.
    """
    try:
        statement = open_statement(compact, REGION_CARD_TYP)
        peer = Peer.from_json(statement.claims)
        signer = peer.key(statement.kid)
    except (StatementError, UnknownKeyError, ValueError) as exc:
        raise TrustListError(f"not a valid region card: {exc}") from None
    if statement.claims.get("format") != REGION_CARD_FORMAT or not statement.verify(signer):
        raise TrustListError(f"region card of {peer.region!r} is not signed by a key it names")
    return peer


@dataclass(frozen=True)
class TrustList:
    """The peers ``region`` trusts, as of ``issued_at`` (the ``serial``-th list)."""

    region: str
    issued_at: dt.datetime
    serial: int = 1
    peers: tuple[Peer, ...] = ()
    _by_region: dict[str, Peer] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_region = {peer.region: peer for peer in self.peers}
        if len(by_region) != len(self.peers):
            raise TrustListError(f"trust list of {self.region!r} names a peer twice")
        if self.region in by_region:
            raise TrustListError(f"region {self.region!r} cannot list itself as a peer")
        object.__setattr__(self, "_by_region", by_region)

    @classmethod
    def empty(cls, region: str, *, now: dt.datetime) -> TrustList:
        return cls(region, truncate(now), 0)

    def peer(self, region: str) -> Peer:
        """The peer ``region``; UnknownPeerError if it is not trusted."""
        try:
            return self._by_region[region]
        except KeyError:
            raise UnknownPeerError(region, sorted(self._by_region)) from None

    def key(self, region: str, kid: str) -> PublicKey:
        """Key ``kid`` of peer ``region``; UnknownPeerError / UnknownKeyError if not trusted."""
        return self.peer(region).key(kid)

    def key_valid_at(self, region: str, kid: str, at: dt.datetime) -> bool:
        """Whether key ``kid`` of ``region`` was that region's signing key at ``at``."""
        try:
            return self.key(region, kid).validity.signs_at(at)
        except (UnknownPeerError, UnknownKeyError):
            return False

    def with_peer(self, peer: Peer, *, now: dt.datetime) -> TrustList:
        """The next trust list: ``peer`` added or replaced."""
        others = tuple(p for p in self.peers if p.region != peer.region)
        return replace(self, issued_at=truncate(now), serial=self.serial + 1,
                       peers=(*others, peer))

    def without_peer(self, region: str, *, now: dt.datetime) -> TrustList:
        """The next trust list: ``region`` no longer trusted."""
        self.peer(region)
        others = tuple(p for p in self.peers if p.region != region)
        return replace(self, issued_at=truncate(now), serial=self.serial + 1, peers=others)

    def sign(self, keys: KeyRing) -> str:
        """This list as a JWS signed by the region's key current at ``issued_at``."""
        if keys.region != self.region:
            raise TrustListError(f"{keys.region!r} cannot sign the trust list of {self.region!r}")
        return sign_statement(self._claims(), TRUST_LIST_TYP, keys.signing_key(self.issued_at))

    @classmethod
    def verify(cls, compact: str, own_keys: Sequence[PublicKey], *, region: str) -> TrustList:
        """The trust list of ``region`` in ``compact``, checked against the region's own keys."""
        try:
            statement = open_statement(compact, TRUST_LIST_TYP)
        except StatementError as exc:
            raise TrustListError(f"not a trust list: {exc.detail}") from None
        signer = next((key for key in own_keys if key.kid == statement.kid), None)
        if signer is None or not statement.verify(signer):
            raise TrustListError(f"trust list is not signed by a key of region {region!r}")
        trust = cls._from_claims(statement.claims)
        if trust.region != region:
            raise TrustListError(f"trust list is {trust.region!r}'s, not {region!r}'s")
        if not signer.validity.signs_at(trust.issued_at):
            raise TrustListError(f"key {signer.kid} was not current when the list was issued")
        return trust

    def _claims(self) -> dict[str, Any]:
        return {"format": TRUST_LIST_FORMAT, "region": self.region,
                "issued_at": instant(self.issued_at), "serial": self.serial,
                "peers": [peer.as_json() for peer in self.peers]}

    @classmethod
    def _from_claims(cls, claims: Mapping[str, Any]) -> TrustList:
        issued_at, serial = parse_instant(claims.get("issued_at")), claims.get("serial")
        peers, region = claims.get("peers"), claims.get("region")
        if (claims.get("format") != TRUST_LIST_FORMAT or issued_at is None
                or not isinstance(region, str) or not isinstance(peers, list)
                or not isinstance(serial, int) or isinstance(serial, bool)):
            raise TrustListError(f"trust list claims are not {TRUST_LIST_FORMAT}")
        try:
            return cls(region, issued_at, serial, tuple(Peer.from_json(p) for p in peers))
        except ValueError as exc:
            raise TrustListError(f"trust list names a malformed peer: {exc}") from None


def trust_all(peers: Iterable[Peer], *, now: dt.datetime) -> dict[str, TrustList]:
    """Each region's (unsigned) trust list naming every other region — for demos and tests.

    In production each operator decides whom to trust; this is the shortcut for N
    regions on one machine that all know each other.
    """
    known = list(peers)
    return {
        peer.region: TrustList(peer.region, truncate(now), 1,
                               tuple(other for other in known if other.region != peer.region))
        for peer in known
    }


def newest(current: TrustList | None, candidate: TrustList) -> TrustList:
    """``candidate`` unless it would roll back ``current``: a lower serial, or another list
    under the same serial."""
    if current is None or candidate == current or candidate.serial > current.serial:
        return candidate
    raise TrustListError(
        f"trust list serial {candidate.serial} does not follow the one in use ({current.serial})"
    )



def trust_list_path(data_dir: Path) -> Path:
    """Where a region keeps its signed trust list: ``DIR/keys/trust-list.jws``."""
    return data_dir / "keys" / TRUST_LIST_FILE


def save_trust_list(path: Path, signed: str) -> None:
    """Write a signed trust list (public data, but only the region should replace it)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(signed + "\n", encoding="ascii")
        os.replace(temporary, path)
    except OSError as exc:
        raise TrustListError(f"cannot write the trust list {path}: {exc.strerror}") from None


def load_trust_list(path: Path, own_keys: Sequence[PublicKey], *, region: str) -> TrustList:
    """Read and verify the region's signed trust list."""
    try:
        signed = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise TrustListError(f"cannot read the trust list {path}: {exc}") from None
    return TrustList.verify(signed, own_keys, region=region)
