"""Region signing keys: thumbprint names, validity, rotation, sealed storage."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path

import pytest
from joserfc.jwk import OKPKey

from federation.errors import RegionKeyError
from federation.keys import KeyRing, KeyValidity, PublicKey, region_keys_path, thumbprint

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
KEK = bytes(range(32))

# RFC 8037 appendix A.3: the thumbprint of the Ed25519 key of appendix A.2.
RFC8037_JWK = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_thumbprint_matches_rfc8037_example() -> None:
    """The kid of a key is its RFC 7638 thumbprint, as in RFC 8037's worked example."""
    assert thumbprint(RFC8037_JWK) == RFC8037_THUMBPRINT


def test_kid_agrees_with_joserfc_thumbprint() -> None:
    """A generated key's kid equals joserfc's own RFC 7638 thumbprint of it."""
    key = KeyRing.generate("north", now=T0).active
    assert key.kid == OKPKey.import_key(key.public.jwk()).thumbprint()
    assert key.public.jwk()["alg"] == "Ed25519"


def test_a_jwk_whose_kid_is_not_its_thumbprint_is_refused() -> None:
    """A published key cannot claim another key's name."""
    with pytest.raises(ValueError, match="thumbprint"):
        PublicKey.from_jwk({**RFC8037_JWK, "kid": "x" * 43}, KeyValidity(T0))


def test_save_and_load_round_trip_with_mode_0600(tmp_path: Path) -> None:
    """Saved keys reload under the same KEK, the file is 0600 and holds no raw private key."""
    ring = KeyRing.generate("north", now=T0)
    path = region_keys_path(tmp_path)
    ring.save(path, KEK)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "d" not in json.loads(path.read_text())["keys"][0]["jwk"]
    loaded = KeyRing.load(path, KEK)
    assert [k.kid for k in loaded.keys] == [k.kid for k in ring.keys]
    assert loaded.active.private.private_bytes_raw() == ring.active.private.private_bytes_raw()


def test_another_kek_does_not_open_the_keys(tmp_path: Path) -> None:
    """A wrong key-encryption key is refused with a RegionKeyError naming the cause."""
    path = tmp_path / "keys.json"
    KeyRing.generate("north", now=T0).save(path, KEK)
    with pytest.raises(RegionKeyError, match="key-encryption key"):
        KeyRing.load(path, bytes(32))


def test_a_sealed_key_moved_to_another_entry_fails_to_open(tmp_path: Path) -> None:
    """The sealed private key is bound to its kid: swapping entries' sealed halves is detected."""
    ring = KeyRing.generate("north", now=T0)
    ring.rotate(now=T0 + dt.timedelta(days=1))
    path = tmp_path / "keys.json"
    ring.save(path, KEK)
    data = json.loads(path.read_text())
    first, second = data["keys"]
    first["private"], second["private"] = second["private"], first["private"]
    path.write_text(json.dumps(data))
    with pytest.raises(RegionKeyError):
        KeyRing.load(path, KEK)


def test_open_creates_the_key_file_once(tmp_path: Path) -> None:
    """open() makes a first key when there is none and returns the same key afterwards."""
    path = region_keys_path(tmp_path)
    first = KeyRing.open(path, KEK, "north", now=T0)
    again = KeyRing.open(path, KEK, "north", now=T0 + dt.timedelta(hours=1))
    assert again.active.kid == first.active.kid
    with pytest.raises(RegionKeyError, match="north"):
        KeyRing.open(path, KEK, "south", now=T0)


def test_rotation_keeps_the_old_key_verifying_until_its_published_end() -> None:
    """After rotate(), the old key no longer signs but verifies until now + verify_for."""
    ring = KeyRing.generate("north", now=T0)
    old = ring.active
    rotated_at = T0 + dt.timedelta(days=30)
    new = ring.rotate(now=rotated_at, verify_for=dt.timedelta(days=10))
    old_validity = ring.get(old.kid).validity
    assert ring.active.kid == new.kid != old.kid
    assert old_validity.signs_at(rotated_at - dt.timedelta(seconds=1))
    assert not old_validity.signs_at(rotated_at)
    assert old_validity.verifies_at(rotated_at + dt.timedelta(days=9))
    assert not old_validity.verifies_at(rotated_at + dt.timedelta(days=10))
    assert new.validity.signs_at(rotated_at)
    assert not new.validity.signs_at(rotated_at - dt.timedelta(seconds=1))


def test_signing_key_refuses_a_time_before_the_active_key() -> None:
    """The ring will not sign for a moment its active key was not valid."""
    ring = KeyRing.generate("north", now=T0)
    with pytest.raises(RegionKeyError, match="rotate"):
        ring.signing_key(T0 - dt.timedelta(days=1))
