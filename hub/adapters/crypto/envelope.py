"""Sealed personal fields: the envelope a stored event carries instead of the value.

A personal field is stored as::

    {"enc": "aes-256-gcm", "subject": "ds-…", "kid": "k-…", "nonce": "<b64>", "ct": "<b64>"}

AES-256-GCM under the subject's key. Data kept for a retention period is sealed
under the key of its scope instead (:mod:`hub.domain.retention`), and its envelope
also names that scope: ``"purpose": "…", "bucket": "YYYY-MM"``. The additional
authenticated data binds the ciphertext to its place — the stored event's topic,
originator id and version, the field name — and to the envelope's own
``subject``, ``kid`` (and scope), so a ciphertext copied into another event
(even of the same person), or an envelope relabelled to another subject, key or
scope, fails to open.

Once the key is destroyed (the subject forgotten, or the bucket expired) the
field reads back as an **erased marker**, ``{"erased": true, "subject": "ds-…"}``
(with the envelope's ``purpose`` and ``bucket`` when it named them, so a reader
can tell data that expired from data forgotten): explicit, so readers show
"erased" rather than guessing, and never an error, so aggregates still replay.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hub.adapters.crypto.errors import TamperedFieldError
from hub.domain.retention import KeyScope

ALGORITHM = "aes-256-gcm"
_NONCE_BYTES = 12
_AAD_CONTEXT = "interop-hub/personal-field/v1"


@dataclass(frozen=True)
class FieldPlace:
    """Where a sealed field lives: what its ciphertext is bound to."""

    topic: str
    originator_id: str
    originator_version: int
    field: str

    def describe(self) -> str:
        return f"event {self.topic} of {self.originator_id} v{self.originator_version}"


def seal(
    key: bytes, kid: str, subject: str, place: FieldPlace, plaintext: bytes,
    scope: KeyScope | None = None,
) -> dict[str, str]:
    """Encrypt ``plaintext`` for ``place`` under the subject's key (of ``scope``, if kept for a
    retention period)."""
    nonce = os.urandom(_NONCE_BYTES)
    labels = {} if scope is None else {"purpose": scope.purpose, "bucket": scope.bucket}
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, _aad(place, subject, kid, labels))
    return {
        "enc": ALGORITHM,
        "subject": subject,
        "kid": kid,
        **labels,
        "nonce": _b64(nonce),
        "ct": _b64(ciphertext),
    }


def scope_named(envelope: Mapping[str, Any]) -> KeyScope | None:
    """The key scope an envelope names; None for one sealed under the subject's own key."""
    if "bucket" not in envelope:
        return None
    return KeyScope(str(envelope["subject"]), str(envelope.get("purpose", "")),
                    str(envelope["bucket"]))


def open_sealed(key: bytes, envelope: Mapping[str, Any], place: FieldPlace) -> bytes:
    """Decrypt a sealed field, or raise :class:`TamperedFieldError` if it does not authenticate."""
    try:
        nonce = base64.b64decode(envelope["nonce"], validate=True)
        ciphertext = base64.b64decode(envelope["ct"], validate=True)
        scope = scope_named(envelope)
        labels = {} if scope is None else {"purpose": scope.purpose, "bucket": scope.bucket}
        aad = _aad(place, str(envelope["subject"]), str(envelope["kid"]), labels)
        return AESGCM(key).decrypt(nonce, ciphertext, aad)
    except (InvalidTag, KeyError, ValueError, TypeError):
        # ValueError covers bad base64 and a nonce of the wrong length.
        raise TamperedFieldError(place.describe(), place.field) from None


def is_sealed(value: Any) -> bool:
    """Whether a stored value is a sealed envelope."""
    return isinstance(value, Mapping) and value.get("enc") == ALGORITHM and "ct" in value


def erased(subject: str, scope: KeyScope | None = None) -> dict[str, Any]:
    """The marker a sealed field reads back as once its key was destroyed."""
    if scope is None:
        return {"erased": True, "subject": subject}
    return {"erased": True, "subject": subject, "purpose": scope.purpose, "bucket": scope.bucket}


def is_erased(value: Any) -> bool:
    """Whether a value is an erased marker."""
    return isinstance(value, Mapping) and value.get("erased") is True and "subject" in value


def _aad(place: FieldPlace, subject: str, kid: str, labels: Mapping[str, str]) -> bytes:
    parts = (
        _AAD_CONTEXT,
        place.topic,
        place.originator_id,
        str(place.originator_version),
        place.field,
        subject,
        kid,
        # Envelopes sealed under a subject's own key bind what they always bound.
        *((labels["purpose"], labels["bucket"]) if labels else ()),
    )
    # NUL cannot occur in any part, so the joined form is unambiguous.
    return "\x00".join(parts).encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
