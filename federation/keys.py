"""A region's Ed25519 signing keys: identity by thumbprint, validity, rotation, storage.

Each key is named by its ``kid``: the RFC 7638 JWK thumbprint (SHA-256,
base64url) of its public OKP JWK, so anyone holding the public key can check
the name. A key has a validity (:class:`KeyValidity`): it signs from
``not_before`` until it is superseded by a rotation, and verifies until its
published ``not_after`` — later than the rotation, so attestations signed just
before a rotation stay verifiable for as long as they are valid.

The region's keys live in ``DIR/keys/region-keys.json`` (mode 0600), private
halves sealed with AES-256-GCM under the caller's key-encryption key (KEK).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from joserfc.jwk import OKPKey

from federation import ed25519
from federation.canonical import canonical_json, instant, parse_instant, truncate
from federation.errors import RegionKeyError

KEY_FILE = "region-keys.json"
FILE_FORMAT = "interop-hub/region-keys/v1"
KEK_BYTES = 32
DEFAULT_VERIFY_OVERLAP = dt.timedelta(days=400)
"""How long a superseded key keeps verifying: longer than the default attestation
validity (365 days), so no attestation outlives the key that verifies it."""

_NONCE_BYTES = 12


def region_keys_path(data_dir: Path) -> Path:
    """Where a region keeps its signing keys in its data folder."""
    return data_dir / "keys" / KEY_FILE


def folder_region(data_dir: Path, default: str) -> str:
    """The region whose keys ``data_dir`` holds; ``default`` while it holds none.

    Only the public part of the key file is read: which region's keys these are needs
    no key-encryption key.
    """
    path = region_keys_path(data_dir)
    if not path.exists():
        return default
    try:
        region = json.loads(path.read_text(encoding="utf-8")).get("region")
    except (OSError, ValueError, AttributeError) as exc:
        raise RegionKeyError(f"cannot read the region keys {path}: {exc}") from None
    if not isinstance(region, str):
        raise RegionKeyError(f"{path} names no region")
    return region


def b64url(data: bytes) -> str:
    """Unpadded base64url, as JOSE writes binary values."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict unpadded base64url: only the canonical spelling of the bytes is accepted."""
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError(f"{text[:20]!r} is not base64url") from None
    if b64url(data) != text:
        raise ValueError(f"{text[:20]!r} is not canonical unpadded base64url")
    return data


def thumbprint(public_jwk: Mapping[str, Any]) -> str:
    """RFC 7638 thumbprint (SHA-256, base64url) of an Ed25519 OKP JWK.

    The RFC hashes the required members (``crv``, ``kty``, ``x``) in
    lexicographic order without whitespace — exactly their JCS form.
    """
    required = {name: public_jwk[name] for name in ("crv", "kty", "x")}
    return b64url(hashlib.sha256(canonical_json(required)).digest())


@dataclass(frozen=True)
class KeyValidity:
    """When a key signs (``not_before`` up to ``superseded_at``) and verifies (to ``not_after``)."""

    not_before: dt.datetime
    not_after: dt.datetime | None = None
    superseded_at: dt.datetime | None = None

    def signs_at(self, moment: dt.datetime) -> bool:
        """Whether something signed at ``moment`` was signed while this key was current."""
        if moment < self.not_before:
            return False
        if self.superseded_at is not None and moment >= self.superseded_at:
            return False
        return self.not_after is None or moment < self.not_after

    def verifies_at(self, moment: dt.datetime) -> bool:
        """Whether a signature by this key may still be accepted at ``moment``."""
        return self.not_after is None or moment < self.not_after

    def as_json(self) -> dict[str, str | None]:
        return {
            "not_before": instant(self.not_before),
            "not_after": None if self.not_after is None else instant(self.not_after),
            "superseded_at": None if self.superseded_at is None else instant(self.superseded_at),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> KeyValidity:
        """Parse :meth:`as_json`; ValueError names the bad field."""
        not_before = parse_instant(data.get("not_before"))
        if not_before is None:
            raise ValueError("not_before must be an RFC 3339 UTC instant")
        ends = {}
        for name in ("not_after", "superseded_at"):
            value = data.get(name)
            ends[name] = None if value is None else parse_instant(value)
            if value is not None and ends[name] is None:
                raise ValueError(f"{name} must be null or an RFC 3339 UTC instant")
        return cls(not_before, ends["not_after"], ends["superseded_at"])


@dataclass(frozen=True)
class PublicKey:
    """A region's public Ed25519 key as published: ``kid``, raw key ``x`` and validity."""

    kid: str
    x: str
    validity: KeyValidity

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any], validity: KeyValidity) -> PublicKey:
        """Accept an Ed25519 OKP JWK whose ``kid`` is its thumbprint; ValueError otherwise."""
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            raise ValueError("not an Ed25519 OKP JWK")
        x = jwk.get("x")
        if not isinstance(x, str) or len(b64url_decode(x)) != 32:
            raise ValueError("x is not a 32-byte base64url Ed25519 public key")
        kid = thumbprint(jwk)
        if jwk.get("kid", kid) != kid:
            raise ValueError(f"kid {jwk.get('kid')!r} is not the key's thumbprint {kid!r}")
        return cls(kid, x, validity)

    def jwk(self) -> dict[str, str]:
        """The public JWK (RFC 8037 OKP, with RFC 9864's fully specified ``alg``)."""
        return {"kty": "OKP", "crv": "Ed25519", "x": self.x, "kid": self.kid,
                "alg": "Ed25519", "use": "sig"}

    @cached_property
    def verifier(self) -> OKPKey:
        """The joserfc key that verifies with it (built once per key)."""
        return OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": self.x})

    @cached_property
    def raw_bytes(self) -> bytes:
        """The 32 bytes of the key, decoded once: what the recognition path verifies with."""
        return b64url_decode(self.x)

    def as_json(self) -> dict[str, Any]:
        return {"jwk": self.jwk(), **self.validity.as_json()}

    @classmethod
    def from_json(cls, data: object) -> PublicKey:
        """Parse :meth:`as_json`; ValueError names what is wrong."""
        if not isinstance(data, Mapping):
            raise ValueError("a key is a JSON object")
        jwk = data.get("jwk")
        if not isinstance(jwk, Mapping):
            raise ValueError("jwk must be an object")
        return cls.from_jwk(jwk, KeyValidity.from_json(data))


class RegionKey:
    """One of this region's keys: the private half and what is published of it."""

    def __init__(self, private: Ed25519PrivateKey, validity: KeyValidity) -> None:
        self.private = private
        raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        x = b64url(raw)
        self.public = PublicKey(thumbprint({"kty": "OKP", "crv": "Ed25519", "x": x}), x, validity)

    @property
    def kid(self) -> str:
        return self.public.kid

    @property
    def validity(self) -> KeyValidity:
        return self.public.validity

    @cached_property
    def secret(self) -> bytes:
        """The private key in libsodium's form, for signing statements (built once)."""
        return ed25519.signing_key(self.private.private_bytes_raw())

    def sign(self, message: bytes) -> bytes:
        """The Ed25519 signature of ``message`` by this key."""
        return ed25519.sign(self.secret, message)

    @cached_property
    def signer(self) -> OKPKey:
        """The joserfc key that signs with it (built once per key)."""
        return OKPKey.import_key(self.private)

    def with_validity(self, validity: KeyValidity) -> RegionKey:
        return RegionKey(self.private, validity)


class KeyRing:
    """The signing keys of one region: the active one and those it superseded."""

    def __init__(self, region: str, keys: Sequence[RegionKey]) -> None:
        if not keys:
            raise RegionKeyError(f"region {region!r} has no signing key")
        self.region = region
        self._keys = list(keys)

    @classmethod
    def generate(cls, region: str, *, now: dt.datetime) -> KeyRing:
        """A new ring with one fresh key, signing from ``now``."""
        return cls(region, [RegionKey(Ed25519PrivateKey.generate(), KeyValidity(truncate(now)))])

    @property
    def keys(self) -> tuple[RegionKey, ...]:
        """Every key, oldest first."""
        return tuple(self._keys)

    @property
    def active(self) -> RegionKey:
        """The key that signs now: the newest one not superseded."""
        current = [key for key in self._keys if key.validity.superseded_at is None]
        if not current:
            raise RegionKeyError(f"region {self.region!r} has no active signing key")
        return current[-1]

    def signing_key(self, at: dt.datetime) -> RegionKey:
        """The active key, checked to be within its validity at ``at``."""
        key = self.active
        if not key.validity.signs_at(truncate(at)):
            raise RegionKeyError(
                f"region {self.region!r}: key {key.kid} cannot sign at {instant(at)} "
                f"(valid {key.validity.as_json()}); rotate the key"
            )
        return key

    def get(self, kid: str) -> RegionKey:
        for key in self._keys:
            if key.kid == kid:
                return key
        raise RegionKeyError(f"region {self.region!r} has no key {kid!r}")

    def public_keys(self) -> tuple[PublicKey, ...]:
        """What peers need to verify this region: every key's public half and validity."""
        return tuple(key.public for key in self._keys)

    def rotate(
        self, *, now: dt.datetime, verify_for: dt.timedelta = DEFAULT_VERIFY_OVERLAP
    ) -> RegionKey:
        """Make a new active key from ``now``; the old one verifies for ``verify_for`` more."""
        now = truncate(now)
        old = self.active
        end = now + verify_for
        if old.validity.not_after is not None:
            end = min(end, old.validity.not_after)
        self._keys[self._keys.index(old)] = old.with_validity(
            replace(old.validity, superseded_at=now, not_after=end)
        )
        fresh = RegionKey(Ed25519PrivateKey.generate(), KeyValidity(now))
        self._keys.append(fresh)
        return fresh

    @classmethod
    def load(cls, path: Path, kek: bytes) -> KeyRing:
        """Read and open the key file; RegionKeyError if missing, malformed or sealed otherwise."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise RegionKeyError(f"cannot read region keys {path}: {exc.strerror}") from None
        except ValueError as exc:
            raise RegionKeyError(f"{path} is not JSON: {exc}") from None
        return _ring_from_json(data, _aead(kek), str(path))

    def save(self, path: Path, kek: bytes) -> None:
        """Write the key file atomically, mode 0600, private halves sealed under ``kek``."""
        _write_private(path, self._document(kek), exclusive=False)

    def _document(self, kek: bytes) -> str:
        aead = _aead(kek)
        document = {
            "format": FILE_FORMAT,
            "region": self.region,
            "keys": [_key_to_json(self.region, key, aead) for key in self._keys],
        }
        return json.dumps(document, indent=2) + "\n"

    @classmethod
    def open(cls, path: Path, kek: bytes, region: str, *, now: dt.datetime) -> KeyRing:
        """Load the region's keys, creating the file with a first key if there is none."""
        if path.exists():
            ring = cls.load(path, kek)
            if ring.region != region:
                raise RegionKeyError(f"{path} holds the keys of {ring.region!r}, not {region!r}")
            return ring
        ring = cls.generate(region, now=now)
        if _write_private(path, ring._document(kek), exclusive=True):
            return ring
        # Another process created the file first: its key is the region's key.
        return cls.open(path, kek, region, now=now)


def _aead(kek: bytes) -> AESGCM:
    if not isinstance(kek, bytes | bytearray) or len(kek) != KEK_BYTES:
        raise RegionKeyError(f"a key-encryption key is {KEK_BYTES} bytes")
    return AESGCM(bytes(kek))


def _label(region: str, kid: str) -> bytes:
    # Binds a sealed key to its region and kid: a sealed key moved to another entry fails to open.
    return f"interop-hub/region-key/v1\x00{region}\x00{kid}".encode()


def _key_to_json(region: str, key: RegionKey, aead: AESGCM) -> dict[str, Any]:
    raw = key.private.private_bytes_raw()
    nonce = os.urandom(_NONCE_BYTES)
    sealed = aead.encrypt(nonce, raw, _label(region, key.kid))
    return {**key.public.as_json(), "private": {"enc": "aes-256-gcm", "nonce": b64url(nonce),
                                                "ct": b64url(sealed)}}


def _ring_from_json(data: Any, aead: AESGCM, where: str) -> KeyRing:
    if not isinstance(data, dict) or data.get("format") != FILE_FORMAT:
        raise RegionKeyError(f"{where}: not a region key file ({FILE_FORMAT})")
    region, entries = data.get("region"), data.get("keys")
    if not isinstance(region, str) or not isinstance(entries, list):
        raise RegionKeyError(f"{where}: region and keys are required")
    return KeyRing(region, [_key_from_json(region, entry, aead, where) for entry in entries])


def _key_from_json(region: str, entry: Any, aead: AESGCM, where: str) -> RegionKey:
    try:
        public = PublicKey.from_json(entry)
        sealed = entry["private"]
        nonce, ct = b64url_decode(sealed["nonce"]), b64url_decode(sealed["ct"])
    except (ValueError, KeyError, TypeError) as exc:
        raise RegionKeyError(f"{where}: malformed key entry: {exc}") from None
    try:
        raw = aead.decrypt(nonce, ct, _label(region, public.kid))
    except InvalidTag:
        raise RegionKeyError(
            f"{where}: the key-encryption key does not open key {public.kid} "
            "(not the KEK the keys were saved with, or the file was altered)"
        ) from None
    key = RegionKey(Ed25519PrivateKey.from_private_bytes(raw), public.validity)
    if key.kid != public.kid:
        raise RegionKeyError(f"{where}: private key does not match public key {public.kid}")
    return key


def _write_private(path: Path, text: str, *, exclusive: bool) -> bool:
    """Write via a 0600 temporary file; ``exclusive`` never replaces an existing file.

    Returns False when ``exclusive`` and the file already existed.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        if not exclusive:
            os.replace(temporary, path)
            return True
        try:
            # link() fails if the file exists: two processes starting at once keep one key.
            os.link(temporary, path)
        except FileExistsError:
            return False
        finally:
            temporary.unlink(missing_ok=True)
        return True
    except OSError as exc:
        raise RegionKeyError(f"cannot write region keys {path}: {exc.strerror}") from None

