"""Signed statements: the attestation wire format, checked by two JOSE libraries."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
import warnings

import pytest
import rfc8785
from joserfc import jws as joserfc_jws
from joserfc.jwk import OKPKey
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws

from federation.attestation import ATTESTATION_TYP, read_attestation, sign_attestation
from federation.errors import StatementError
from federation.keys import KeyRing
from federation.reasons import Outcome, Reason
from federation.receipt import read_receipt, sign_receipt
from federation.revocation import read_revocation, sign_revocation

T0 = dt.datetime(2026, 2, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)
DIGEST = "sha256:" + "ab" * 32


@pytest.fixture(scope="module")
def north() -> KeyRing:
    return KeyRing.generate("north", now=T0 - dt.timedelta(days=1))


def _attest(keys: KeyRing) -> tuple[str, str]:
    record_id = str(uuid.uuid4())
    _, compact = sign_attestation(
        keys, department="social-security", record_id=record_id,
        contract="social-security.contribution-history@1.0", subject="ds-" + "0" * 32,
        content_digest=DIGEST, issued_at=T0)
    return record_id, compact


def _segment(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_attestation_header_and_payload_are_exactly_as_specified(north: KeyRing) -> None:
    """Header {alg: Ed25519, kid, typ}; payload the JCS of the nine claims, times to the second."""
    record_id, compact = _attest(north)
    header_b64, payload_b64, _ = compact.split(".")
    header = json.loads(_segment(header_b64))
    payload = _segment(payload_b64)
    assert header == {"alg": "Ed25519", "kid": north.active.kid, "typ": ATTESTATION_TYP}
    claims = json.loads(payload)
    assert rfc8785.dumps(claims) == payload
    assert claims == {
        "issuer": "north", "department": "social-security", "record_id": record_id,
        "contract": "social-security.contribution-history@1.0", "subject": "ds-" + "0" * 32,
        "content_digest": DIGEST, "issued_at": "2026-02-01T09:30:15Z",
        "valid_until": "2027-02-01T09:30:15Z", "kid": north.active.kid,
    }


def test_attestation_verifies_with_joserfc(north: KeyRing) -> None:
    """joserfc verifies the attestation with the public JWK, alg Ed25519 only."""
    _, compact = _attest(north)
    key = OKPKey.import_key(north.active.public.jwk())
    verified = joserfc_jws.deserialize_compact(compact, key, algorithms=["Ed25519"])
    assert json.loads(verified.payload)["issuer"] == "north"


def test_attestation_verifies_with_jwcrypto(north: KeyRing) -> None:
    """jwcrypto, an independent JOSE library, verifies the same attestation."""
    _, compact = _attest(north)
    token = jwcrypto_jws.JWS()
    token.deserialize(compact)
    token.verify(jwcrypto_jwk.JWK(**north.active.public.jwk()), alg="Ed25519")
    assert json.loads(token.payload)["kid"] == north.active.kid


def test_jwcrypto_refuses_a_tampered_attestation(north: KeyRing) -> None:
    """The second library also rejects one changed claim (the signature covers the payload)."""
    _, compact = _attest(north)
    header, payload, signature = compact.split(".")
    claims = json.loads(_segment(payload))
    claims["department"] = "tax"
    forged = base64.urlsafe_b64encode(rfc8785.dumps(claims)).rstrip(b"=").decode()
    token = jwcrypto_jws.JWS()
    token.deserialize(f"{header}.{forged}.{signature}")
    with pytest.raises(jwcrypto_jws.InvalidJWSSignature):
        token.verify(jwcrypto_jwk.JWK(**north.active.public.jwk()), alg="Ed25519")


def test_read_attestation_returns_the_claims_and_a_verifiable_statement(north: KeyRing) -> None:
    """A received attestation reads back as the signed claims and verifies under the key."""
    record_id, compact = _attest(north)
    presented = read_attestation(compact)
    assert presented.attestation.record_id == record_id
    assert presented.attestation.issuing_department == "north/social-security"
    assert presented.statement.verify(north.active.public)


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ({"alg": "EdDSA"}, "alg"),
        ({"typ": "JWT"}, "typ"),
        ({"cty": "json"}, "exactly alg, kid and typ"),
    ],
)
def test_a_header_outside_the_profile_is_malformed(
    north: KeyRing, header: dict[str, str], detail: str
) -> None:
    """EdDSA, another typ or an extra header member is refused as malformed, not verified."""
    _, compact = _attest(north)
    _, payload, _ = compact.split(".")
    claims = json.loads(_segment(payload))
    fields = {"alg": "Ed25519", "kid": north.active.kid, "typ": ATTESTATION_TYP, **header}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc rightly warns that EdDSA is deprecated
        signed = joserfc_jws.serialize_compact(
            fields, rfc8785.dumps(claims), OKPKey.import_key(north.active.private),
            algorithms=[fields["alg"]])
    with pytest.raises(StatementError, match=detail) as caught:
        read_attestation(signed)
    assert caught.value.reason == Reason.MALFORMED


def test_receipts_of_every_outcome_read_back(north: KeyRing) -> None:
    """A receipt of each outcome and reason parses back to what was signed."""
    cases = [(Outcome.RECOGNISED, None), (Outcome.WITHDRAWN, None), (Outcome.NOTED, None)]
    cases += [(Outcome.REFUSED, reason) for reason in Reason]
    for outcome, reason in cases:
        receipt = sign_receipt(north, statement=DIGEST, about="attestation", issuer="south",
                               record_id=str(uuid.uuid4()), outcome=outcome, reason=reason,
                               detail="x\ud800" * 300, at=T0)
        statement, read = read_receipt(receipt.jws)
        assert read == receipt
        assert statement.verify(north.active.public)


def test_a_receipt_for_an_unreadable_statement_names_no_record(north: KeyRing) -> None:
    """When the statement was too malformed to name a record, the receipt says null."""
    receipt = sign_receipt(north, statement=DIGEST, about="attestation", issuer=None,
                           record_id=None, outcome=Outcome.REFUSED, reason=Reason.MALFORMED,
                           detail=None, at=T0)
    assert read_receipt(receipt.jws)[1].record_id is None


def test_revocation_reads_back(north: KeyRing) -> None:
    """A revocation names the record, the attestation digest, the reason and the time."""
    record_id, _ = _attest(north)
    revocation, signed = sign_revocation(north, department="social-security",
                                         record_id=record_id, attestation=DIGEST,
                                         reason="issued in error", revoked_at=T0)
    presented = read_revocation(signed)
    assert presented.revocation == revocation
    assert presented.statement.verify(north.active.public)


def test_an_attestation_signed_with_jwcrypto_is_read_and_verified(north: KeyRing) -> None:
    """A peer using another JOSE library (own header member order) interoperates."""
    claims = {"issuer": "north", "department": "tax", "record_id": str(uuid.uuid4()),
              "contract": "tax.clearance@1.0", "subject": "ds-" + "0" * 32,
              "content_digest": DIGEST, "issued_at": "2026-02-01T09:30:15Z",
              "valid_until": "2026-03-01T09:30:15Z", "kid": north.active.kid}
    token = jwcrypto_jws.JWS(rfc8785.dumps(claims))
    header = {"typ": ATTESTATION_TYP, "kid": north.active.kid, "alg": "Ed25519"}
    token.add_signature(jwcrypto_jwk.JWK.from_pyca(north.active.private), alg="Ed25519",
                        protected=json.dumps(header))
    presented = read_attestation(token.serialize(compact=True))
    assert presented.attestation.claims() == claims
    assert presented.statement.verify(north.active.public)
