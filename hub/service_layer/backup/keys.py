"""The operator's backup key: read, checked, and never the key-encryption key.

The key is at least 32 bytes of secret material: base64 of 32 or more bytes
(``head -c 32 /dev/urandom | base64``), or a file of 32 or more raw bytes. The
backup's own keys are derived from it (hub.adapters.backup.sealed), so the same
key may seal many backups.
"""

from __future__ import annotations

import base64
import binascii
import hmac

from hub.adapters.backup.errors import BackupKeyError

MIN_KEY_BYTES = 32


def backup_key_material(raw: bytes, source: str, *, kek: bytes | None) -> bytes:
    """The key material in ``raw`` (from ``source``, for messages); refuses the KEK itself."""
    text = raw.strip()
    material = raw
    try:
        decoded = base64.b64decode(text, validate=True)
        if len(decoded) >= MIN_KEY_BYTES:
            material = decoded
    except (binascii.Error, ValueError):
        pass
    if len(material) < MIN_KEY_BYTES:
        raise BackupKeyError(
            f"{source}: a backup key is at least {MIN_KEY_BYTES} bytes (raw, or base64 of "
            f"them), got {len(material)}; make one with `head -c 32 /dev/urandom | base64`")
    if kek is not None and (hmac.compare_digest(material, kek)
                            or hmac.compare_digest(text, base64.b64encode(kek))):
        raise BackupKeyError(
            f"{source} is the region's key-encryption key: a backup must be sealed under a "
            "key of its own, kept apart from the KEK (a stolen backup and KEK would open all)")
    return material
