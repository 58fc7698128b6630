"""The identity providers a region trusts: issuer -> its JWKS, read from files.

Only public keys are kept (a JWKS with private parts is read as its public
half), and only asymmetric ones: a symmetric (``oct``) key in a trusted JWKS
would let anyone holding it mint tokens, and would invite the HS256-with-a-
public-key confusion, so such a file is refused at start-up.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from hub.adapters.id_tokens.errors import IssuerConfigError

ASYMMETRIC_KEY_TYPES = frozenset({"RSA", "EC", "OKP"})


def load_trusted_issuers(files: Mapping[str, Path]) -> dict[str, KeySet]:
    """Each issuer's public key set from its JWKS file; errors name the file and why."""
    return {issuer: load_jwks(issuer, path) for issuer, path in files.items()}


def load_jwks(issuer: str, path: Path) -> KeySet:
    """The public keys of ``issuer`` from the JWKS file at ``path``."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IssuerConfigError(f"JWKS of issuer {issuer!r} ({path}) cannot be read: {exc}"
                                ) from None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list) or not keys:
        raise IssuerConfigError(f"JWKS of issuer {issuer!r} ({path}) has no \"keys\" list")
    kinds = {str(k.get("kty")) for k in keys if isinstance(k, dict)}
    if not kinds or not kinds <= ASYMMETRIC_KEY_TYPES:
        raise IssuerConfigError(
            f"JWKS of issuer {issuer!r} ({path}) holds key types {sorted(kinds)}; only "
            f"{sorted(ASYMMETRIC_KEY_TYPES)} (public keys) are accepted")
    try:
        full = KeySet.import_key_set({"keys": keys})
        return KeySet.import_key_set(full.as_dict(private=False))
    except (JoseError, ValueError, TypeError) as exc:
        raise IssuerConfigError(f"JWKS of issuer {issuer!r} ({path}) is not usable: {exc}"
                                ) from None
