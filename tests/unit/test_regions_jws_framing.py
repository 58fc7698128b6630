"""Statements framed by hand are byte for byte what joserfc frames (Ed25519 is deterministic)."""

from __future__ import annotations

import datetime as dt

from joserfc import jws
from joserfc.jws import JWSRegistry

from regions.canonical import canonical_json
from regions.jws import ALG, open_statement, sign_statement
from regions.keys import KeyRing

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_sign_statement_writes_what_joserfc_writes() -> None:
    """Same header, payload and signature bytes as joserfc's compact serialisation."""
    key = KeyRing.generate("north", now=NOW).active
    claims = {"record_id": "6f1d3c8e-2b7a-5e44-9c1f-0a8d4e2b7c55", "name": "Åsa Öberg",
              "n": 42, "nested": {"b": [1, "x", None, True], "a": "z"}}
    ours = sign_statement(claims, "interop-hub-attestation+jws", key)
    theirs = jws.serialize_compact(
        {"alg": ALG, "kid": key.kid, "typ": "interop-hub-attestation+jws"},
        canonical_json(claims), key.signer, registry=JWSRegistry(algorithms=[ALG]))
    assert ours == theirs


def test_a_hand_framed_statement_verifies_through_joserfc() -> None:
    """open_statement + verify (joserfc) accept it under the key, and refuse another key."""
    ring = KeyRing.generate("north", now=NOW)
    other = KeyRing.generate("south", now=NOW).active
    statement = open_statement(sign_statement({"a": "b"}, "t+jws", ring.active), "t+jws")
    assert statement.claims == {"a": "b"}
    assert statement.verify(ring.public_keys()[0])
    assert not statement.verify(other.public)
