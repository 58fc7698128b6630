"""Signed statements: the one JWS profile every region-to-region message uses.

A statement is a JWS compact serialisation (RFC 7515) whose protected header is
exactly ``{"alg": "Ed25519", "kid": <thumbprint>, "typ": <statement type>}``
(RFC 9864's fully specified ``Ed25519``, not RFC 8037's ``EdDSA``) and whose
payload is the RFC 8785 canonical JSON of the claims. The profile is strict on
purpose: one set of claims has exactly one acceptable spelling (JCS payload,
canonical unpadded base64url in every segment), so a re-encoded statement is
malformed rather than a second, different-looking copy of the same one. The
header's members are fixed but not its spelling (member order, whitespace):
other JOSE libraries order them differently, and the header is signed, so only
the issuer could respell it anyway.

Statements are framed and read here, and signed and verified with Ed25519
directly (:mod:`regions.ed25519`, libsodium): the profile admits one header
shape and one algorithm, so a general JOSE library's header negotiation and key
wrapping would cost more than the signature itself on the ingest and
recognition paths. joserfc stays the
reference the tests hold this module to: it writes the same bytes, and accepts
what this module accepts; this module also refuses a segment whose base64url
spelling is not the canonical one, which joserfc would decode alike.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from federation import ed25519
from federation.canonical import canonical_json, digest, parse_canonical_object
from federation.errors import StatementError
from federation.keys import PublicKey, RegionKey
from federation.reasons import Reason

ALG = "Ed25519"
MAX_STATEMENT_CHARS = 65536
"""Far above any statement we sign (~1 KiB); anything longer is refused unread."""

KID_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
_COMPACT = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)")
_HEADER_KEYS = frozenset({"alg", "kid", "typ"})


@dataclass(frozen=True)
class Statement:
    """A statement whose framing and claims are well formed — not yet verified."""

    compact: str
    kid: str
    typ: str
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes

    @cached_property
    def digest(self) -> str:
        """What receipts name it by (:func:`statement_digest`); hashed when first asked."""
        return statement_digest(self.compact)

    def verify(self, key: PublicKey) -> bool:
        """Whether the signature verifies under ``key`` (which must be the header's kid)."""
        if key.kid != self.kid:
            return False
        return ed25519.verifies(key.raw_bytes, self.signature, self.signing_input)


def sign_statement(claims: Mapping[str, Any], typ: str, key: RegionKey) -> str:
    """The compact JWS of ``claims`` (as JCS) signed by ``key``, with header type ``typ``.

    Ed25519 is deterministic, so the output is byte for byte what joserfc writes.
    """
    signing_input = f"{_header(key.kid, typ)}.{_b64url(canonical_json(dict(claims)))}"
    return f"{signing_input}.{_b64url(key.sign(signing_input.encode('ascii')))}"


@lru_cache(maxsize=64)
def _header(kid: str, typ: str) -> str:
    """The encoded protected header: the same for every statement of one key and type."""
    return _b64url(json.dumps({"alg": ALG, "kid": kid, "typ": typ},
                              separators=(",", ":")).encode())


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(segment: str) -> bytes:
    """Unpadded base64url (the alphabet is checked already); ValueError if it is no base64."""
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except binascii.Error as exc:
        raise ValueError(f"not base64url: {exc}") from None


_BITS_LEFT_OVER = {2: 0b1111, 3: 0b11}
_CHARACTER_VALUE = {c: i for i, c in enumerate(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")}


def _canonical_spelling(segment: str) -> bool:
    """Whether a segment that decodes is the one unpadded base64url spelling of its bytes.

    Only the last character can differ: when the bytes do not fill it, its unused low bits
    must be zero (what re-encoding the decoded bytes and comparing would say, without
    encoding them again).
    """
    unused = _BITS_LEFT_OVER.get(len(segment) % 4)
    return unused is None or not _CHARACTER_VALUE[segment[-1]] & unused


def open_statement(compact: object, typ: str) -> Statement:
    """Parse a statement of type ``typ``; StatementError(``malformed``) says what is wrong."""
    if not isinstance(compact, str):
        raise _malformed("a statement is a string")
    if len(compact) > MAX_STATEMENT_CHARS:
        raise _malformed(f"longer than {MAX_STATEMENT_CHARS} characters")
    framed = _COMPACT.fullmatch(compact)
    if framed is None:
        raise _malformed("not three unpadded base64url segments (compact serialisation)")
    segments = framed.groups()
    kid = _header_kid(segments[0], typ)
    try:
        payload, signature = _b64url_decode(segments[1]), _b64url_decode(segments[2])
    except ValueError as exc:
        raise _malformed(f"JWS framing: {exc}") from None
    claims = parse_canonical_object(payload)
    if claims is None:
        raise _malformed("payload is not a JSON object in RFC 8785 canonical form")
    # A segment in another spelling of its bytes is not what was signed: such a statement
    # never verifies (it reads as a bad signature, as tampering does).
    spelled = _canonical_spelling(segments[1]) and _canonical_spelling(segments[2])
    signing_input = f"{segments[0]}.{segments[1]}".encode("ascii")
    return Statement(compact, kid, typ, claims, signing_input, signature if spelled else b"")


def statement_digest(compact: str) -> str:
    """The digest receipts use to name a statement (SHA-256 of its compact form)."""
    return digest(compact.encode("utf-8", "surrogatepass"))


@lru_cache(maxsize=256)
def _header_kid(segment: str, typ: str) -> str:
    """The kid named by an encoded protected header of type ``typ``; StatementError if bad.

    Every statement signed by one key has the same header, so it is read once per key
    and type (a malformed one raises, and is not remembered).
    """
    try:
        header = json.loads(_b64url_decode(segment))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise _malformed(f"JWS framing: {exc}") from None
    return _check_header(header, typ)


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
