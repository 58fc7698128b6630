"""Who an exchange is about: the data subject, and their pseudonymous reference.

A contract names the field that identifies its data subject in
``SUBJECT_FIELD`` (a dotted path, e.g. ``person.national_id``). Events never
store that identifier as such: they store a **subject reference**,
``ds-`` followed by the first 128 bits (hex) of HMAC-SHA256 of the national id
under a region secret kept in the key store. The same person always maps to the
same reference within a region, and the reference reveals nothing without the
secret (it cannot be reversed, nor recomputed from a guessed national id, by
anyone who only reads the events). Other regions have other secrets, hence
other references for the same person.

References are lower-case; national ids are upper-case (their contract pattern),
so an operator may type either and :func:`is_subject_ref` tells them apart.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from typing import Any

from pydantic import TypeAdapter, ValidationError

from contracts.base import Contract
from contracts.person import NationalId
from hub.adapters.crypto.errors import SubjectError

REF_PREFIX = "ds-"
_REF = re.compile(r"^ds-[0-9a-f]{32}$")
# Domain separation: the region secret may one day key other HMACs.
_REF_CONTEXT = b"interop-hub/subject-ref/v1\x00"


def subject_ref(secret: bytes, national_id: str) -> str:
    """The pseudonymous reference of ``national_id`` under the region ``secret``."""
    mac = hmac.new(secret, _REF_CONTEXT + normalise(national_id).encode(), hashlib.sha256)
    return REF_PREFIX + mac.hexdigest()[:32]


def is_subject_ref(text: str) -> bool:
    """Whether ``text`` is a subject reference (rather than a national id)."""
    return _REF.match(text) is not None


def normalise(national_id: str) -> str:
    """The canonical form of a national id, as contracts store it (trimmed, upper-case)."""
    value = national_id.strip()
    # Upper-casing first would fold letters from outside ASCII into it ("ß" -> "SS",
    # "ı" -> "I", "ﬁ" -> "FI"): a national id nobody holds would name someone who does
    # (a token's claim, or `subject forget` erasing the wrong person). Only ASCII is ever
    # a national id, so anything else is refused as it was written.
    if value.isascii():
        try:
            return _national_id().validate_python(value.upper())
        except ValidationError:
            pass
    # A typo would silently name nobody; an operator forgetting someone must know.
    raise SubjectError(
        f"{national_id!r} is neither a national id (e.g. 19800101-1234) "
        "nor a subject reference (ds- and 32 hex digits)"
    )


@functools.cache
def _national_id() -> TypeAdapter[str]:
    return TypeAdapter(NationalId)


def subject_identifier(contract: Contract) -> str | None:
    """The value of ``contract``'s SUBJECT_FIELD, or None if it declares no data subject."""
    path = type(contract).SUBJECT_FIELD
    if path is None:
        return None
    value: Any = contract
    for part in path.split("."):
        value = getattr(value, part, None)
    if not isinstance(value, str) or not value:
        raise SubjectError(
            f"{contract.contract_id()}: SUBJECT_FIELD {path!r} names no identifier "
            f"(found {type(value).__name__})"
        )
    return value
