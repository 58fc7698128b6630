"""Trust lists and region cards: who signs them, what they say, and rollback."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import pytest
import rfc8785

from contracts import default_registry
from federation.errors import TrustListError, UnknownKeyError, UnknownPeerError
from federation.fingerprints import registry_fingerprint
from federation.keys import KeyRing
from federation.trust import (
    TrustList,
    load_trust_list,
    newest,
    publish_region_card,
    read_region_card,
    save_trust_list,
    trust_all,
    trust_list_path,
)

T0 = dt.datetime(2026, 1, 10, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def rings() -> dict[str, KeyRing]:
    return {name: KeyRing.generate(name, now=T0) for name in ("north", "south", "east")}


def _card(ring: KeyRing) -> str:
    return publish_region_card(ring, registry_fingerprint(default_registry()), now=T0)


def test_region_card_names_the_keys_and_fingerprint(rings: dict[str, KeyRing]) -> None:
    """A card reads back as the region's public keys and registry fingerprint."""
    peer = read_region_card(_card(rings["south"]))
    assert peer.region == "south"
    assert [k.kid for k in peer.keys] == [rings["south"].active.kid]
    assert peer.registry == registry_fingerprint(default_registry())


def test_a_card_signed_by_a_key_it_does_not_name_is_refused(rings: dict[str, KeyRing]) -> None:
    """Swapping in another region's keys breaks the card's proof of possession."""
    header, payload, signature = _card(rings["south"]).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["keys"] = [k.as_json() for k in rings["east"].public_keys()]
    forged = base64.urlsafe_b64encode(rfc8785.dumps(claims)).rstrip(b"=").decode()
    with pytest.raises(TrustListError, match="no trusted key"):
        read_region_card(f"{header}.{forged}.{signature}")


def test_trust_list_verifies_only_under_its_own_region_key(rings: dict[str, KeyRing]) -> None:
    """A signed trust list verifies with the region's own key and no other region's."""
    trust = TrustList.empty("north", now=T0).with_peer(read_region_card(_card(rings["south"])),
                                                       now=T0)
    signed = trust.sign(rings["north"])
    assert TrustList.verify(signed, rings["north"].public_keys(), region="north") == trust
    with pytest.raises(TrustListError, match="not signed"):
        TrustList.verify(signed, rings["south"].public_keys(), region="north")
    header, payload, signature = signed.split(".")
    flipped = signature[:10] + ("B" if signature[10] == "A" else "A") + signature[11:]
    with pytest.raises(TrustListError, match="not signed"):
        TrustList.verify(f"{header}.{payload}.{flipped}", rings["north"].public_keys(),
                         region="north")


def test_a_saved_trust_list_loads_verified(rings: dict[str, KeyRing], tmp_path: Path) -> None:
    """The trust list file in DIR/keys reads back only under the region's own keys."""
    trust = TrustList.empty("north", now=T0).with_peer(read_region_card(_card(rings["east"])),
                                                       now=T0)
    path = trust_list_path(tmp_path)
    save_trust_list(path, trust.sign(rings["north"]))
    assert load_trust_list(path, rings["north"].public_keys(), region="north") == trust
    with pytest.raises(TrustListError):
        load_trust_list(path, rings["east"].public_keys(), region="north")


def test_key_lookup_and_validity(rings: dict[str, KeyRing]) -> None:
    """The trust list answers: is key kid of region R valid at time T?"""
    trust = trust_all([read_region_card(_card(r)) for r in rings.values()], now=T0)["north"]
    kid = rings["south"].active.kid
    assert trust.key_valid_at("south", kid, T0)
    assert not trust.key_valid_at("south", kid, T0 - dt.timedelta(seconds=1))
    assert not trust.key_valid_at("south", rings["east"].active.kid, T0)
    assert not trust.key_valid_at("west", kid, T0)
    with pytest.raises(UnknownPeerError):
        trust.peer("west")
    with pytest.raises(UnknownKeyError):
        trust.key("south", rings["north"].active.kid)


def test_rotated_keys_stay_valid_for_what_they_signed(rings: dict[str, KeyRing]) -> None:
    """After a peer rotates, its old key is valid for times before the rotation only."""
    ring = KeyRing.generate("west", now=T0)
    old = ring.active.kid
    ring.rotate(now=T0 + dt.timedelta(days=5))
    trust = TrustList.empty("north", now=T0).with_peer(read_region_card(
        publish_region_card(ring, registry_fingerprint(default_registry()),
                            now=T0 + dt.timedelta(days=5))), now=T0)
    assert trust.key_valid_at("west", old, T0 + dt.timedelta(days=4))
    assert not trust.key_valid_at("west", old, T0 + dt.timedelta(days=6))
    assert trust.key_valid_at("west", ring.active.kid, T0 + dt.timedelta(days=6))


def test_an_older_or_different_list_under_the_same_serial_is_refused(
    rings: dict[str, KeyRing],
) -> None:
    """Trust lists only move forward: a lower serial, or a rewrite under the same, is refused."""
    south = read_region_card(_card(rings["south"]))
    first = TrustList.empty("north", now=T0).with_peer(south, now=T0)
    second = first.without_peer("south", now=T0 + dt.timedelta(days=1))
    assert newest(first, second) is second
    assert newest(second, second) is second
    with pytest.raises(TrustListError):
        newest(second, first)
    with pytest.raises(TrustListError):
        newest(first, TrustList("north", T0, first.serial, ()))


def test_a_region_cannot_trust_itself(rings: dict[str, KeyRing]) -> None:
    """A trust list names peers, never its own region."""
    with pytest.raises(TrustListError, match="itself"):
        TrustList.empty("north", now=T0).with_peer(read_region_card(_card(rings["north"])), now=T0)
