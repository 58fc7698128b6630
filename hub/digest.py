"""Payload digests recorded in events (DESIGN §4: bodies are digested, SHA-256)."""

from __future__ import annotations

import hashlib


def digest(data: bytes) -> str:
    """The digest of a payload as ``sha256:<hex>``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()
