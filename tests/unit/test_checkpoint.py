"""C2SP checkpoints in C2SP signed notes, and the audit key file."""

from __future__ import annotations

import base64
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.service_layer.audit.checkpoint import (
    CheckpointBody,
    log_origin,
    open_checkpoint,
    sign_checkpoint,
)
from hub.service_layer.audit.checkpoints import CheckpointLog
from hub.service_layer.audit.errors import AuditKeyError, NoteError
from hub.service_layer.audit.keys import (
    audit_key_path,
    load_audit_signer,
    load_or_create_audit_signer,
)
from hub.service_layer.audit.merkle import EMPTY_ROOT
from hub.service_layer.audit.note import NoteSigner, NoteVerifier, key_id, open_note, sign_note

# The example of golang.org/x/mod/sumdb/note (note_test.go): key, text and signed note.
GO_SKEY_B64 = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZS"
    "NXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ORIGIN = log_origin("north")
ROOT = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
ROOT_B64 = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="
WHEN = datetime(2025, 6, 1, 12, 0, 0, 123456, tzinfo=UTC)


def _go_signer() -> NoteSigner:
    seed = base64.b64decode(GO_SKEY_B64)[1:]
    return NoteSigner("PeterNeumann", Ed25519PrivateKey.from_private_bytes(seed))


def test_signed_note_matches_the_go_reference_byte_for_byte() -> None:
    """Signing the reference text with the reference key yields the reference note."""
    signer = _go_signer()
    assert signer.verifier().vkey() == GO_VKEY
    assert sign_note(GO_TEXT, signer) == GO_NOTE


def test_reference_note_opens_with_the_reference_verifier_key() -> None:
    """The Go reference note verifies with its published verifier key string."""
    assert open_note(GO_NOTE, NoteVerifier.from_vkey(GO_VKEY)) == GO_TEXT


def test_key_id_is_the_first_four_bytes_of_the_spec_hash() -> None:
    """key id = SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]."""
    verifier = NoteVerifier.from_vkey(GO_VKEY)
    raw = base64.b64decode(GO_VKEY.split("+")[2])[1:]
    assert key_id("PeterNeumann", raw).hex() == "c74f20a3" == verifier.key_id.hex()


def test_checkpoint_body_has_origin_size_root_and_timestamp_lines() -> None:
    """The body is the four C2SP lines, root in base64 and the time as an extension line."""
    body = CheckpointBody(ORIGIN, 8, ROOT, WHEN)
    assert body.text() == (
        f"interop-hub/north/ledger\n8\n{ROOT_B64}\ntimestamp 2025-06-01T12:00:00.123Z\n"
    )
    assert CheckpointBody.parse(body.text()) == CheckpointBody(
        ORIGIN, 8, ROOT, WHEN.replace(microsecond=123000)
    )


def test_signed_checkpoint_opens_with_the_signers_key() -> None:
    """A checkpoint signed by the log's key verifies and parses back."""
    signer = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    signed = sign_checkpoint(CheckpointBody(ORIGIN, 0, EMPTY_ROOT, WHEN), signer)
    _, _, signature = signed.note.rpartition("\n\n")
    assert signature.startswith(f"— {ORIGIN} ") and signature.endswith("\n")
    assert len(base64.b64decode(signature.split(" ")[2])) == 4 + 64
    opened = open_checkpoint(signed.note, signer.verifier())
    assert (opened.size, opened.root_hash) == (0, EMPTY_ROOT)


def test_checkpoint_signed_by_another_key_is_refused() -> None:
    """A note verified with the wrong key — even one of the same name — is refused."""
    signed = sign_checkpoint(
        CheckpointBody(ORIGIN, 3, ROOT, WHEN), NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    )
    stranger = NoteSigner(ORIGIN, Ed25519PrivateKey.generate()).verifier()
    with pytest.raises(NoteError, match="not signed by key"):
        open_checkpoint(signed.note, stranger)


def test_altered_checkpoint_text_fails_its_signature() -> None:
    """Changing the tree size in a signed checkpoint invalidates the signature."""
    signer = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    signed = sign_checkpoint(CheckpointBody(ORIGIN, 3, ROOT, WHEN), signer)
    forged = signed.note.replace("\n3\n", "\n4\n", 1)
    with pytest.raises(NoteError, match="invalid signature"):
        open_checkpoint(forged, signer.verifier())


def test_checkpoint_of_another_origin_is_refused() -> None:
    """A valid note whose origin is not the verifier's log name is refused."""
    signer = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    with pytest.raises(NoteError, match="cannot sign for origin"):
        sign_checkpoint(CheckpointBody(log_origin("south"), 1, ROOT, WHEN), signer)


@pytest.mark.parametrize(
    "note",
    [
        "no blank line\n— a AAAA\n",
        "text\n\nnot a signature line\n",
        "text\n\n— name not-base64!\n",
        "text\n\n— name AAAA\n",
        "text\n\n— has+plus AAAAAAAA\n",
        "text\x01\n\n— name AAAAAAAA\n",
    ],
)
def test_malformed_notes_are_refused(note: str) -> None:
    """Missing separators, bad signature lines and control characters are errors."""
    with pytest.raises(NoteError):
        open_note(note, NoteVerifier.from_vkey(GO_VKEY))


@pytest.mark.parametrize(
    "text",
    [
        f"origin\n8\n{ROOT_B64}\n",
        f"origin\n08\n{ROOT_B64}\ntimestamp 2025-06-01T12:00:00Z\n",
        "origin\n8\nnot-a-hash\ntimestamp 2025-06-01T12:00:00Z\n",
        f"origin\n8\n{ROOT_B64}\ntimestamp 2025-06-01T12:00:00\n",
        f"origin\n8\n{ROOT_B64}\n\ntimestamp 2025-06-01Z\n",
    ],
)
def test_malformed_checkpoint_bodies_are_refused(text: str) -> None:
    """A missing timestamp, a padded size, a bad root or a naive time is an error."""
    with pytest.raises(NoteError):
        CheckpointBody.parse(text)


def test_malformed_verifier_keys_are_refused() -> None:
    """A verifier key with a wrong id, algorithm or encoding is refused."""
    for bad in (
        GO_VKEY.replace("c74f20a3", "c74f20a4"),
        GO_VKEY.replace("+ARpc", "+AhpC"),
        "PeterNeumann+c74f20a3+%%%",
    ):
        with pytest.raises(NoteError):
            NoteVerifier.from_vkey(bad)


def test_audit_key_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    """The first use creates DIR/keys/audit-ed25519.pem (0600); later uses load the same key."""
    first = load_or_create_audit_signer(tmp_path, ORIGIN)
    path = audit_key_path(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_audit_signer(tmp_path, ORIGIN)
    assert again.verifier().vkey() == first.verifier().vkey()


def test_audit_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    """A key file that group or others can read is refused, naming the fix."""
    load_or_create_audit_signer(tmp_path, ORIGIN)
    os.chmod(audit_key_path(tmp_path), 0o644)
    with pytest.raises(AuditKeyError, match="chmod 600"):
        load_audit_signer(tmp_path, ORIGIN)


def test_missing_audit_key_is_an_error_when_only_verifying(tmp_path: Path) -> None:
    """Verification never invents a key: without one it says how to make one."""
    with pytest.raises(AuditKeyError, match="audit checkpoint"):
        load_audit_signer(tmp_path, ORIGIN)


def test_latest_reads_the_last_of_many_recorded_checkpoints(tmp_path: Path) -> None:
    """With more checkpoints than the tail it reads, latest() is still the last one."""
    signer = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    log = CheckpointLog(tmp_path / "checkpoints.jsonl")
    for size in range(400):
        log.record(sign_checkpoint(CheckpointBody(ORIGIN, size, ROOT, WHEN), signer))
    assert log.path.stat().st_size > 1 << 16
    latest = log.latest(signer.verifier())
    assert latest is not None and latest.size == 399
    assert log.at_size(7, signer.verifier()).size == 7
