"""Payload digests recorded in events (SHA-256: events name a body by its digest)."""

from __future__ import annotations

import hashlib


def digest(data: bytes) -> str:
    """The digest of a payload as ``sha256:<hex>``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()
