"""Signed statements: the one JWS profile every region-to-region message uses.

A statement is a JWS compact serialisation (RFC 7515) whose protected header is
exactly ``{"alg": "Ed25519", "kid": <thumbprint>, "typ": <statement type>}``
(RFC 9864's fully specified ``Ed25519``, not RFC 8037's ``EdDSA``) and whose
payload is the RFC 8785 canonical JSON of the claims. joserfc frames, signs and
verifies it; this module adds the profile, which is strict on purpose: one set
of claims has exactly one acceptable spelling (JCS payload, unpadded base64url),
so a re-encoded statement is malformed rather than a second, different-looking
copy of the same one. The header's members are fixed but not its spelling
(member order, whitespace): other JOSE libraries order them differently, and
the header is signed, so only the issuer could respell it anyway.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jws import CompactSignature, JWSRegistry

from regions.canonical import canonical_json, digest, parse_canonical_object
from regions.errors import StatementError
from regions.keys import PublicKey, RegionKey
from regions.reasons import Reason

ALG = "Ed25519"
MAX_STATEMENT_CHARS = 8192
"""Far above any statement we sign (~1 KiB); anything longer is refused unread."""

KID_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_HEADER_KEYS = frozenset({"alg", "kid", "typ"})
# What a misbehaving library or input can raise while joserfc parses: all mean "malformed".
_PARSE_ERRORS = (JoseError, ValueError, TypeError, AttributeError, KeyError, RecursionError)


@lru_cache(maxsize=1)
def _registry() -> JWSRegistry:
    """A registry that knows one algorithm, so no other can be negotiated (built on first use)."""
    return JWSRegistry(algorithms=[ALG])


@dataclass(frozen=True)
class Statement:
    """A statement whose framing and claims are well formed — not yet verified."""

    compact: str
    digest: str
    kid: str
    typ: str
    claims: dict[str, Any]
    signed: CompactSignature

    def verify(self, key: PublicKey) -> bool:
        """Whether the signature verifies under ``key`` (which must be the header's kid)."""
        if key.kid != self.kid:
            return False
        try:
            return jws.validate_compact(self.signed, key.verifier, registry=_registry())
        except _PARSE_ERRORS:
            return False


def sign_statement(claims: Mapping[str, Any], typ: str, key: RegionKey) -> str:
    """The compact JWS of ``claims`` (as JCS) signed by ``key``, with header type ``typ``.

    Framed here and signed with ``cryptography`` directly: the header is fixed,
    so joserfc's header checks and key wrapping would cost twice the signature
    itself on the ingest path. Ed25519 is deterministic, so the output is byte for
    byte what joserfc writes (``tests/unit/test_regions_jws_framing.py``), and
    every statement is still read and verified through joserfc.
    """
    header = json.dumps({"alg": ALG, "kid": key.kid, "typ": typ}, separators=(",", ":"))
    signing_input = f"{_b64url(header.encode())}.{_b64url(canonical_json(dict(claims)))}"
    return f"{signing_input}.{_b64url(key.private.sign(signing_input.encode('ascii')))}"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def open_statement(compact: object, typ: str) -> Statement:
    """Parse a statement of type ``typ``; StatementError(``malformed``) says what is wrong."""
    if not isinstance(compact, str):
        raise _malformed("a statement is a string")
    if len(compact) > MAX_STATEMENT_CHARS:
        raise _malformed(f"longer than {MAX_STATEMENT_CHARS} characters")
    segments = compact.split(".")
    if len(segments) != 3 or not all(_SEGMENT.fullmatch(part) for part in segments):
        raise _malformed("not three unpadded base64url segments (compact serialisation)")
    try:
        signed = jws.extract_compact(compact.encode("ascii"), registry=_registry())
    except _PARSE_ERRORS as exc:
        raise _malformed(f"JWS framing: {exc}") from None
    kid = _check_header(signed.protected, typ)
    claims = parse_canonical_object(signed.payload)
    if claims is None:
        raise _malformed("payload is not a JSON object in RFC 8785 canonical form")
    return Statement(compact, digest(compact.encode("ascii")), kid, typ, claims, signed)


def statement_digest(compact: str) -> str:
    """The digest receipts use to name a statement (SHA-256 of its compact form)."""
    return digest(compact.encode("utf-8", "surrogatepass"))


def _check_header(header: object, typ: str) -> str:
    if not isinstance(header, dict) or set(header) != _HEADER_KEYS:
        raise _malformed("protected header must be exactly alg, kid and typ")
    if header["alg"] != ALG:
        raise _malformed(f"alg must be {ALG!r}, not {header['alg']!r}")
    if header["typ"] != typ:
        raise _malformed(f"typ must be {typ!r}, not {header['typ']!r}")
    kid = header["kid"]
    if not isinstance(kid, str) or not KID_PATTERN.fullmatch(kid):
        raise _malformed("kid must be a SHA-256 JWK thumbprint (43 base64url characters)")
    return kid


def _malformed(detail: str) -> StatementError:
    return StatementError(Reason.MALFORMED, detail)
