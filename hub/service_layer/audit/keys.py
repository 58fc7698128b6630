"""The region's audit signing key: Ed25519, in ``DIR/keys/audit-ed25519.pem`` (mode 0600).

It is created on first use (the first checkpoint) and never rewritten. Creation
writes a temporary file and hard-links it into place, so two processes starting
at once agree on one key. The key file holds PKCS#8 PEM, unencrypted: its
protection is the file mode and the data folder's access control. The public
half is exported as a C2SP verifier key string (``audit key``), which is what
peers and the standalone verifier pin.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from hub.service_layer.audit.errors import AuditKeyError
from hub.service_layer.audit.note import NoteSigner, NoteVerifier

KEY_FILE = "audit-ed25519.pem"


def audit_key_path(data_dir: Path) -> Path:
    """Where the region's audit key lives in its data folder."""
    return data_dir / "keys" / KEY_FILE


def load_audit_signer(data_dir: Path, name: str) -> NoteSigner:
    """The signer for ``name`` from the data folder; AuditKeyError when there is none."""
    path = audit_key_path(data_dir)
    if not path.exists():
        raise AuditKeyError(
            f"no audit key at {path}: sign a first checkpoint (`interop-hub audit checkpoint`)"
        )
    return NoteSigner(name, _read_private_key(path))


def load_or_create_audit_signer(data_dir: Path, name: str) -> NoteSigner:
    """The signer for ``name``, creating the key file (0600) if the folder has none yet."""
    path = audit_key_path(data_dir)
    if not path.exists():
        _create_key_file(path)
    return NoteSigner(name, _read_private_key(path))


def public_key_pem(signer: NoteSigner) -> str:
    """The public key as SubjectPublicKeyInfo PEM."""
    return (
        signer.private_key.public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def audit_verifier(data_dir: Path, name: str, vkey: str | None = None) -> NoteVerifier:
    """A pinned verifier key string when given, else the data folder's own key."""
    if vkey:
        verifier = NoteVerifier.from_vkey(vkey)
        if verifier.name != name:
            raise AuditKeyError(f"verifier key is for {verifier.name!r}, this log is {name!r}")
        return verifier
    return load_audit_signer(data_dir, name).verifier()


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    )
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)  # fails if another process won the race: keep theirs
        except FileExistsError:
            pass
    finally:
        temporary.unlink(missing_ok=True)


def _read_private_key(path: Path) -> Ed25519PrivateKey:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise AuditKeyError(f"audit key {path} is accessible to others (mode {mode:o}); chmod 600")
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, OSError) as exc:
        raise AuditKeyError(f"cannot read audit key {path}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditKeyError(f"audit key {path} is not an Ed25519 key")
    return key
