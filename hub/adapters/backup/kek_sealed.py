"""A private key sealed under the region's KEK while it is in a backup.

The audit signing key is the one private key the data folder keeps unwrapped;
in a backup it travels sealed under the KEK (AES-256-GCM, bound to its name),
so that the backup holds no unwrapped key, and restoring it needs the KEK,
like every other key of the region.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hub.adapters.backup.errors import BackupKeyError

_CONTEXT = b"interop-hub/backup/kek-sealed/v1\x00"
_NONCE = 12


def seal_under_kek(kek: bytes, name: str, plain: bytes) -> bytes:
    """``nonce || ciphertext`` of ``plain`` under the KEK, bound to ``name``."""
    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(kek).encrypt(nonce, plain, _CONTEXT + name.encode())


def open_under_kek(kek: bytes, name: str, sealed: bytes) -> bytes:
    """The plaintext of :func:`seal_under_kek`; BackupKeyError when the KEK is not the one."""
    try:
        return AESGCM(kek).decrypt(sealed[:_NONCE], sealed[_NONCE:], _CONTEXT + name.encode())
    except (InvalidTag, ValueError):
        raise BackupKeyError(
            f"{name} does not open under the KEK given: restore needs the region's own "
            "key-encryption key (HUB_KEK, HUB_KEK_FILE or --kek-file)") from None
