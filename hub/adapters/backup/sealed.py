"""The sealed file format of a backup: AES-256-GCM in chunks, streamed both ways.

A sealed file is ``MAGIC``, an 8-byte random nonce prefix, then chunks, each a
4-byte big-endian length and the ciphertext of at most :data:`CHUNK` plaintext
bytes. Chunk ``i`` is encrypted with nonce ``prefix || i`` (4 bytes) and
associated data binding it to its place::

    "interop-hub-backup/1" 0x00 backup id (16 bytes) member name 0x00 i (8 bytes) final (1 byte)

so a chunk moved inside a file (index), a file renamed to another member's
name or copied from another backup (name, backup id), and a file cut at a
chunk boundary (no chunk with the final flag) all fail to open, like a flipped
byte does. The last chunk carries the final flag, and nothing may follow it.

The key is not the operator's key itself: :func:`derive_keys` derives, with
HKDF-SHA256 and the backup's random salt, an encryption key and a separate
check key whose MAC over the backup id is stored in the clear, so a wrong key
is told apart from an altered file.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hub.adapters.backup.errors import BackupIntegrityError

MAGIC = b"IHBK\x01"
CHUNK = 1 << 20
_PREFIX_BYTES = 8
_MAX_CHUNKS = 1 << 32  # the nonce's counter is 4 bytes: 4 PiB per member
_CONTEXT = b"interop-hub-backup/1\x00"


@dataclass(frozen=True)
class BackupKeys:
    """The keys of one backup, derived from the operator's key and the backup's salt."""

    backup_id: UUID
    encryption: bytes
    check: bytes

    def check_value(self) -> str:
        """The MAC stored in the clear that tells the right key from a wrong one."""
        return hmac.new(self.check, self.backup_id.bytes, hashlib.sha256).hexdigest()

    def matches(self, check_value: str) -> bool:
        """True when these keys are the ones the backup was written with."""
        return hmac.compare_digest(self.check_value(), check_value)


def derive_keys(material: bytes, salt: bytes, backup_id: UUID) -> BackupKeys:
    """Encryption and check keys for one backup (HKDF-SHA256, 64 bytes split in two)."""
    derived = HKDF(algorithm=hashes.SHA256(), length=64, salt=salt,
                   info=b"interop-hub backup keys v1" + backup_id.bytes).derive(material)
    return BackupKeys(backup_id, derived[:32], derived[32:])


def _aad(keys: BackupKeys, name: str, index: int, final: bool) -> bytes:
    return (_CONTEXT + keys.backup_id.bytes + name.encode() + b"\x00"
            + struct.pack(">Q?", index, final))


class SealedWriter:
    """A file-like sink: what is written is sealed into ``path`` in chunks; digest kept."""

    def __init__(self, path: Path, keys: BackupKeys, name: str) -> None:
        self.path, self.name = path, name
        self._aead, self._keys = AESGCM(keys.encryption), keys
        self._prefix = os.urandom(_PREFIX_BYTES)
        self._buffer = bytearray()
        self._index = 0
        self._digest = hashlib.sha256()
        self.size = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: BinaryIO = open(path, "xb")  # closed in close()
        self._file.write(MAGIC + self._prefix)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Take ``data``; whole chunks are sealed as soon as they fill."""
        self._buffer += data
        self._digest.update(data)
        self.size += len(data)
        while len(self._buffer) > CHUNK:  # keep one back: the last chunk is the final one
            self._seal(bytes(self._buffer[:CHUNK]), final=False)
            del self._buffer[:CHUNK]
        return len(data)

    def close(self) -> None:
        """Seal the final chunk and make the file durable."""
        if self._file.closed:
            return
        self._seal(bytes(self._buffer), final=True)
        self._buffer.clear()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()

    def abort(self) -> None:
        """Close without sealing a final chunk (the file is left unusable: delete it)."""
        self._file.close()

    @property
    def sha256(self) -> str:
        """The SHA-256 of the plaintext written so far."""
        return self._digest.hexdigest()

    def __enter__(self) -> SealedWriter:
        return self

    def __exit__(self, kind: object, *rest: object) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()

    def _seal(self, plain: bytes, *, final: bool) -> None:
        if self._index >= _MAX_CHUNKS:
            raise BackupIntegrityError(f"{self.name}: larger than a sealed member can be")
        nonce = self._prefix + struct.pack(">I", self._index)
        sealed = self._aead.encrypt(nonce, plain, _aad(self._keys, self.name, self._index, final))
        self._file.write(struct.pack(">I", len(sealed)) + sealed)
        self._index += 1


def open_sealed(path: Path, keys: BackupKeys, name: str) -> Iterator[bytes]:
    """The plaintext of the sealed file ``path``, member ``name``, chunk by chunk.

    Raises BackupIntegrityError naming the file and the chunk when anything does not
    open: a flipped byte, a truncation, a chunk moved, a file of another member.
    """
    aead = AESGCM(keys.encryption)
    try:
        handle = open(path, "rb")  # closed in the finally below
    except OSError as exc:
        raise BackupIntegrityError(f"{name}: cannot read {path}: {exc.strerror}") from None
    try:
        head = handle.read(len(MAGIC) + _PREFIX_BYTES)
        if len(head) < len(MAGIC) + _PREFIX_BYTES or not head.startswith(MAGIC):
            raise BackupIntegrityError(f"{name}: {path.name} is not a sealed backup file")
        prefix = head[len(MAGIC):]
        for index in range(_MAX_CHUNKS):
            length = handle.read(4)
            if len(length) < 4:
                raise BackupIntegrityError(
                    f"{name}: {path.name} is truncated: it ends after chunk {index} without "
                    "the final chunk")
            (size,) = struct.unpack(">I", length)
            sealed = handle.read(size)
            if len(sealed) < size or size > CHUNK + 16:
                raise BackupIntegrityError(
                    f"{name}: {path.name} is truncated inside chunk {index}")
            plain, final = _open_chunk(aead, keys, name, path, prefix, index, sealed)
            yield plain
            if final:
                if handle.read(1):
                    raise BackupIntegrityError(
                        f"{name}: {path.name} has bytes after its final chunk")
                return
    finally:
        handle.close()


def _open_chunk(aead: AESGCM, keys: BackupKeys, name: str, path: Path, prefix: bytes,
                index: int, sealed: bytes) -> tuple[bytes, bool]:
    nonce = prefix + struct.pack(">I", index)
    for final in (False, True):
        try:
            return aead.decrypt(nonce, sealed, _aad(keys, name, index, final)), final
        except InvalidTag:
            continue
    raise BackupIntegrityError(
        f"{name}: {path.name} chunk {index} does not authenticate: the file was altered, "
        "or it is another member's file (swapped or replaced)")


def sealed_member_of(path: Path, keys: BackupKeys, names: list[str]) -> str | None:
    """Which of ``names`` the first chunk of ``path`` opens as (to name a swapped file)."""
    aead = AESGCM(keys.encryption)
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(MAGIC) + _PREFIX_BYTES)
            (size,) = struct.unpack(">I", handle.read(4))
            sealed = handle.read(size)
    except (OSError, struct.error):
        return None
    nonce = head[len(MAGIC):] + struct.pack(">I", 0)
    for name in names:
        for final in (False, True):
            try:
                aead.decrypt(nonce, sealed, _aad(keys, name, 0, final))
                return name
            except InvalidTag:
                continue
    return None
