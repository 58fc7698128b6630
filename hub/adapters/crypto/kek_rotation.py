"""Rotating the key-encryption key: re-wrap everything sealed under it, in one command.

Sealed under the KEK are the key store's rows — subject keys, the subject
reference secret, the credential verifier key, the hub's NATS nkey seed
(:meth:`hub.adapters.crypto.keyring.SubjectKeyring.secret`) — and the private halves of
the region's signing keys (``DIR/keys/region-keys.json``, :mod:`federation.keys`).
:func:`rotate_kek` opens each under the current KEK *before* changing
anything (a wrong current KEK changes nothing), re-wraps the key store in one
transaction, rewrites the region keys file atomically, and finally replaces
the KEK file with the new key. With ``HUB_KEK`` (no file) the operator sets the
new value in the environment afterwards.

Run it with the region's hub stopped: a running hub holds the old KEK in
memory and would wrap new subject keys under it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import structlog

from federation.keys import KeyRing, region_keys_path
from hub.adapters.crypto.errors import KeyEncryptionKeyError
from hub.adapters.crypto.kek import key_encryption_key, read_kek_file
from hub.adapters.crypto.keyring import open_keyring
from hub.settings import HubSettings

log = structlog.get_logger("hub.adapters.crypto.kek_rotation")


@dataclass(frozen=True)
class KekRotation:
    """What a rotation re-wrapped, and where the new KEK now lives."""

    store_rows: int
    region_keys: int
    kek_file: Path | None  # None: HUB_KEK must be set to the new key by the operator


def rotate_kek(settings: HubSettings, new_kek_file: Path) -> KekRotation:
    """Re-wrap every sealed value under the KEK in ``new_kek_file``; then install it."""
    old = key_encryption_key(settings)
    new = read_kek_file(new_kek_file)
    if new == old:
        raise KeyEncryptionKeyError(f"{new_kek_file} holds the current key-encryption key")
    keys_path = region_keys_path(settings.data)
    ring = KeyRing.load(keys_path, old) if keys_path.exists() else None  # opens under old
    keyring = open_keyring(settings)  # checks the old KEK against the store
    try:
        rows = keyring.rewrap(new)
    finally:
        keyring.close()
    if ring is not None:
        ring.save(keys_path, new)
    target = None
    if settings.kek is None:
        target = settings.kek_file or settings.data / "keys" / "kek"
        _replace_private(target, new_kek_file.read_bytes())
    count = len(ring.keys) if ring is not None else 0
    log.info("key-encryption key rotated", store_rows=rows, region_keys=count,
             kek_file=str(target) if target else "HUB_KEK")
    return KekRotation(rows, count, target)


def _replace_private(path: Path, content: bytes) -> None:
    """Atomically replace ``path`` with ``content``, mode 0600."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
