"""Statements framed by hand are byte for byte what joserfc frames (Ed25519 is deterministic)."""

from __future__ import annotations

import base64
import datetime as dt

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jws import JWSRegistry

from federation.canonical import canonical_json
from federation.errors import StatementError
from federation.jws import ALG, _canonical_spelling, open_statement, sign_statement
from federation.keys import KeyRing, PublicKey

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
REGISTRY = JWSRegistry(algorithms=[ALG])


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


def test_a_hand_framed_statement_verifies_and_only_under_its_key() -> None:
    """open_statement + verify accept it under the key, and refuse another key."""
    ring = KeyRing.generate("north", now=NOW)
    other = KeyRing.generate("south", now=NOW).active
    statement = open_statement(sign_statement({"a": "b"}, "t+jws", ring.active), "t+jws")
    assert statement.claims == {"a": "b"}
    assert statement.verify(ring.public_keys()[0])
    assert not statement.verify(other.public)


def _joserfc_accepts(compact: str, key: PublicKey) -> bool:
    try:
        signed = jws.extract_compact(compact.encode("ascii"), registry=REGISTRY)
        return jws.validate_compact(signed, key.verifier, registry=REGISTRY)
    except (JoseError, ValueError, TypeError, KeyError):
        return False


def _ours_accepts(compact: str, key: PublicKey) -> bool:
    try:
        return open_statement(compact, "t+jws").verify(key)
    except StatementError:
        return False


def _flip(text: str, at: int) -> str:
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1:]


def test_verification_agrees_with_joserfc_on_good_tampered_and_foreign_statements() -> None:
    """Read and verified by hand, statements are accepted exactly when joserfc accepts them:
    the genuine one; not one with a changed character in the header, payload or signature,
    nor one with a truncated signature, nor under another region's key."""
    ring = KeyRing.generate("north", now=NOW)
    key, other = ring.public_keys()[0], KeyRing.generate("south", now=NOW).public_keys()[0]
    compact = sign_statement({"record_id": "r-1", "n": 7, "who": "Åsa"}, "t+jws", ring.active)
    header, payload, signature = compact.split(".")
    variants = [compact, f"{header}.{payload}.{signature[:-4]}"]
    # Never a segment's last character: some of its bits may be padding (see the next test).
    for part, offset in ((0, 5), (1, 3), (1, len(payload) - 2), (2, 2), (2, len(signature) - 2)):
        at = sum(len(p) + 1 for p in compact.split(".")[:part]) + offset
        variants.append(_flip(compact, at))
    verdicts = [(_ours_accepts(v, k), _joserfc_accepts(v, k))
                for v in variants for k in (key, other)]
    assert verdicts[0] == (True, True)
    assert all(ours == theirs for ours, theirs in verdicts), verdicts


def test_a_signature_spelt_other_than_canonically_never_verifies() -> None:
    """The same signature bytes with different padding bits in the last base64url character:
    joserfc decodes it to the same bytes, but a second spelling of a statement is refused."""
    ring = KeyRing.generate("north", now=NOW)
    compact = sign_statement({"a": "b"}, "t+jws", ring.active)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    respelt = compact[:-1] + alphabet[alphabet.index(compact[-1]) ^ 1]  # a padding bit
    assert _ours_accepts(compact, ring.public_keys()[0])
    assert not _ours_accepts(respelt, ring.public_keys()[0])


def test_the_spelling_check_is_re_encoding() -> None:
    """Every last character of every segment length that decodes: a segment is canonical
    exactly when re-encoding its bytes gives it back."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for length in (2, 3, 4, 6, 7, 8):
        for last in alphabet:
            segment = "Qk" * (length // 2) + "Q" * (length % 2)
            segment = segment[:length - 1] + last
            data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
            expected = base64.urlsafe_b64encode(data).rstrip(b"=").decode() == segment
            assert _canonical_spelling(segment) is expected, segment
