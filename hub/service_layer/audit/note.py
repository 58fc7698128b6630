"""C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 signatures.

A note is UTF-8 text ending in a newline, then a blank line, then one line per
signature::

    <text>\\n
    \\n
    — <key name> <base64(key id ‖ signature)>\\n

The key id is the first 4 bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ 32-byte
Ed25519 public key); the signature is Ed25519 over the text bytes exactly. A
verifier key is written ``<name>+<key id as 8 hex digits>+<base64(0x01 ‖ public
key)>``, the same string Go's ``golang.org/x/mod/sumdb/note`` accepts. Lines
signed by other keys (a witness's cosignature, say) are allowed and ignored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from hub.service_layer.audit.errors import NoteError

ED25519 = 0x01
SIGNATURE_PREFIX = "— "
_MAX_SIGNATURES = 100
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def valid_key_name(name: str) -> bool:
    """A key name is non-empty and has no whitespace and no '+'."""
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key id: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()[:4]


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class NoteVerifier:
    """Checks signatures by one named Ed25519 key."""

    name: str
    public_key: Ed25519PublicKey

    def __post_init__(self) -> None:
        if not valid_key_name(self.name):
            raise NoteError(f"invalid key name {self.name!r}: no spaces or '+' allowed")

    @property
    def key_id(self) -> bytes:
        """The 4-byte id that prefixes this key's signatures."""
        return key_id(self.name, _raw_public(self.public_key))

    def vkey(self) -> str:
        """The verifier key string ``name+hash+base64(0x01 ‖ key)``."""
        raw = bytes([ED25519]) + _raw_public(self.public_key)
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(raw).decode()}"

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Parse a verifier key string; its embedded key id must match."""
        name, _, rest = vkey.strip().partition("+")
        id_hex, _, key_b64 = rest.partition("+")
        try:
            raw = base64.b64decode(key_b64, validate=True)
            claimed = bytes.fromhex(id_hex)
        except (binascii.Error, ValueError):
            raise NoteError(f"malformed verifier key {vkey!r}") from None
        if len(raw) != 33 or raw[0] != ED25519 or len(claimed) != 4:
            raise NoteError(f"verifier key {vkey!r} is not an Ed25519 key")
        verifier = cls(name, Ed25519PublicKey.from_public_bytes(raw[1:]))
        if verifier.key_id != claimed:
            raise NoteError(f"verifier key {vkey!r}: key id does not match name and key")
        return verifier

    def verifies(self, text: bytes, signature: bytes) -> bool:
        """True when ``signature`` (key id ‖ Ed25519 signature) is this key's over ``text``."""
        if len(signature) != 68 or signature[:4] != self.key_id:
            return False
        try:
            self.public_key.verify(signature[4:], text)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class NoteSigner:
    """Signs notes with one named Ed25519 key."""

    name: str
    private_key: Ed25519PrivateKey

    def __post_init__(self) -> None:
        if not valid_key_name(self.name):
            raise NoteError(f"invalid key name {self.name!r}: no spaces or '+' allowed")

    def verifier(self) -> NoteVerifier:
        """The matching verifier."""
        return NoteVerifier(self.name, self.private_key.public_key())

    def signature_line(self, text: str) -> str:
        """``— <name> <base64(key id ‖ signature)>`` for ``text``, newline included."""
        signature = self.verifier().key_id + self.private_key.sign(text.encode())
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(signature).decode()}\n"


def check_text(text: str) -> None:
    """Raise NoteError unless ``text`` may be the body of a note."""
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if _CONTROL.search(text):
        raise NoteError("note text must not contain control characters other than newline")


def sign_note(text: str, *signers: NoteSigner) -> str:
    """The signed note: ``text``, a blank line, one signature line per signer."""
    check_text(text)
    if not signers:
        raise NoteError("a note needs at least one signature")
    return text + "\n" + "".join(signer.signature_line(text) for signer in signers)


def split_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """The text of a note and its (key name, signature bytes) lines, unverified."""
    text, sep, block = note.rpartition("\n\n")
    if not sep or not block.endswith("\n"):
        raise NoteError("malformed note: no signature block after a blank line")
    text += "\n"
    check_text(text)
    signatures = []
    for line in block[:-1].split("\n"):
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError(f"malformed signature line {line!r}")
        name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        try:
            signature = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise NoteError(f"malformed signature line {line!r}") from None
        if not valid_key_name(name) or len(signature) < 5:
            raise NoteError(f"malformed signature line {line!r}")
        signatures.append((name, signature))
    if len(signatures) > _MAX_SIGNATURES:
        raise NoteError(f"a note may carry at most {_MAX_SIGNATURES} signatures")
    return text, signatures


def open_note(note: str, verifier: NoteVerifier) -> str:
    """The note's text, once a signature by ``verifier``'s key checks; else NoteError."""
    text, signatures = split_note(note)
    mine = [sig for name, sig in signatures if name == verifier.name and sig[:4] == verifier.key_id]
    if not mine:
        raise NoteError(f"note is not signed by key {verifier.name}+{verifier.key_id.hex()}")
    if not all(verifier.verifies(text.encode(), sig) for sig in mine):
        raise NoteError(f"invalid signature by key {verifier.name}+{verifier.key_id.hex()}")
    return text
