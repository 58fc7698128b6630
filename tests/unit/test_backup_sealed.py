"""The sealed file format of backups: what is written reads back, and every kind of damage
(a flipped byte, a cut, a file of another member or backup, a wrong key) is refused by name."""

from __future__ import annotations

import base64
import os
import uuid
from pathlib import Path

import pytest

from hub.adapters.backup.errors import BackupIntegrityError, BackupKeyError
from hub.adapters.backup.sealed import CHUNK, SealedWriter, derive_keys, open_sealed
from hub.service_layer.backup.keys import backup_key_material

MATERIAL = os.urandom(32)


def _keys(backup_id: uuid.UUID | None = None, material: bytes = MATERIAL):  # type: ignore[no-untyped-def]
    return derive_keys(material, b"salt" * 8, backup_id or uuid.UUID(int=1))


def _sealed(tmp_path: Path, plain: bytes, name: str = "ledger.sqlite3") -> Path:
    path = tmp_path / f"{uuid.uuid4().hex}.sealed"
    with SealedWriter(path, _keys(), name) as writer:
        for start in range(0, len(plain), 100_000):  # written in pieces, as a stream is
            writer.write(plain[start:start + 100_000])
    return path


def test_a_stream_of_several_chunks_reads_back_exactly(tmp_path: Path) -> None:
    """2.5 chunks in, the same bytes out, in at most chunk-sized pieces."""
    plain = os.urandom(CHUNK * 2 + CHUNK // 2)
    pieces = list(open_sealed(_sealed(tmp_path, plain), _keys(), "ledger.sqlite3"))
    assert b"".join(pieces) == plain
    assert len(pieces) == 3 and max(map(len, pieces)) <= CHUNK


def test_an_empty_member_is_one_final_chunk(tmp_path: Path) -> None:
    assert b"".join(open_sealed(_sealed(tmp_path, b""), _keys(), "ledger.sqlite3")) == b""


def test_a_flipped_byte_names_the_chunk(tmp_path: Path) -> None:
    path = _sealed(tmp_path, os.urandom(CHUNK + 1000))
    data = bytearray(path.read_bytes())
    data[CHUNK + 100] ^= 0x01  # inside the second chunk (the first ends at CHUNK + 33)
    path.write_bytes(bytes(data))
    with pytest.raises(BackupIntegrityError, match="chunk 1 does not authenticate"):
        b"".join(open_sealed(path, _keys(), "ledger.sqlite3"))


@pytest.mark.parametrize("cut", ["at a chunk boundary", "inside a chunk"])
def test_a_truncated_file_is_refused(tmp_path: Path, cut: str) -> None:
    path = _sealed(tmp_path, os.urandom(CHUNK * 2 + 5))
    data = path.read_bytes()
    first_chunk_end = 5 + 8 + 4 + CHUNK + 16
    path.write_bytes(data[:first_chunk_end] if cut == "at a chunk boundary" else data[:-3])
    with pytest.raises(BackupIntegrityError, match="truncated"):
        b"".join(open_sealed(path, _keys(), "ledger.sqlite3"))


def test_a_file_of_another_member_or_backup_does_not_open(tmp_path: Path) -> None:
    path = _sealed(tmp_path, b"keys", name="keys/subject-keys.sqlite3")
    with pytest.raises(BackupIntegrityError, match="another member's file"):
        b"".join(open_sealed(path, _keys(), "ledger.sqlite3"))
    with pytest.raises(BackupIntegrityError):
        b"".join(open_sealed(path, _keys(uuid.UUID(int=2)), "keys/subject-keys.sqlite3"))


def test_a_wrong_key_is_told_by_the_key_check() -> None:
    backup_id = uuid.uuid4()
    right = derive_keys(MATERIAL, b"s" * 32, backup_id)
    wrong = derive_keys(os.urandom(32), b"s" * 32, backup_id)
    assert right.matches(right.check_value())
    assert not wrong.matches(right.check_value())


def test_the_backup_key_is_never_the_kek_and_never_short() -> None:
    kek = os.urandom(32)
    with pytest.raises(BackupKeyError, match="key-encryption key"):
        backup_key_material(base64.b64encode(kek) + b"\n", "key file", kek=kek)
    with pytest.raises(BackupKeyError, match="key-encryption key"):
        backup_key_material(kek, "key file", kek=kek)
    with pytest.raises(BackupKeyError, match="at least 32 bytes"):
        backup_key_material(b"short", "HUB_BACKUP_KEY", kek=kek)
    other = os.urandom(32)
    assert backup_key_material(base64.b64encode(other), "k", kek=kek) == other
