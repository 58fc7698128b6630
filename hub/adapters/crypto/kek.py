"""The key-encryption key (KEK): wraps every subject key and the region secret at rest.

Read from ``HUB_KEK`` (base64 of 32 bytes) when set — the production way, from
a secret manager — else from a file, ``DIR/keys/kek`` by default
(``HUB_KEK_FILE``), which is created with mode 0600 on first use. A key store
wrapped under one KEK is unreadable under another, so a missing KEK file is
only created while nothing is sealed under a KEK yet: neither the key store
(:mod:`hub.adapters.crypto.keyring`) nor the region's signing keys (:mod:`federation.keys`).
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from pathlib import Path

import structlog

from federation.keys import region_keys_path
from hub.adapters.crypto.errors import KeyEncryptionKeyError
from hub.adapters.crypto.keystore_selection import open_key_store
from hub.settings import HubSettings

KEK_BYTES = 32

log = structlog.get_logger("hub.adapters.crypto.kek")


def parse_kek(text: str, source: str) -> bytes:
    """Decode a base64 KEK, checking its length."""
    try:
        kek = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyEncryptionKeyError(f"{source}: not base64") from None
    if len(kek) != KEK_BYTES:
        raise KeyEncryptionKeyError(
            f"{source}: a key-encryption key is {KEK_BYTES} bytes (base64), got {len(kek)}"
        )
    return kek


def read_kek_file(path: Path) -> bytes:
    """Read the KEK file, warning when it is readable by others than its owner."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyEncryptionKeyError(f"cannot read the key-encryption key {path}: {exc}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("key-encryption key file is readable by others", path=str(path))
    return parse_kek(text, str(path))


def create_kek_file(path: Path) -> bytes:
    """Create a new random KEK file, mode 0600; refuse to overwrite an existing one."""
    kek = os.urandom(KEK_BYTES)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting at once must not each write their own KEK.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_kek_file(path)
    except OSError as exc:
        raise KeyEncryptionKeyError(f"cannot create {path}: {exc}") from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(base64.b64encode(kek).decode("ascii") + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    log.info("key-encryption key created", path=str(path))
    return kek


def key_encryption_key(settings: HubSettings) -> bytes:
    """The region's KEK: ``HUB_KEK``, else the KEK file, created only while nothing uses one.

    A new KEK would leave whatever was sealed under the old one unreadable, so a
    missing file is created only when neither region keys nor subject keys exist yet.
    """
    if settings.kek is not None:
        return parse_kek(settings.kek.get_secret_value(), "HUB_KEK")
    path = settings.kek_file or settings.data / "keys" / "kek"
    if path.exists():
        return read_kek_file(path)
    if region_keys_path(settings.data).exists():
        raise KeyEncryptionKeyError(
            f"the key-encryption key {path} is missing but {region_keys_path(settings.data)} "
            "holds sealed region keys: restore the file (or set HUB_KEK)")
    store = open_key_store(settings.key_store, settings.store, settings.data)
    try:
        if not store.is_empty():
            raise KeyEncryptionKeyError(
                f"the key-encryption key {path} is missing but the key store holds keys: "
                "restore the file (or set HUB_KEK); a new key would leave every stored key "
                "unreadable")
    finally:
        store.close()
    return create_kek_file(path)
