"""Event state as JSON, written by pydantic-core where the library's encoder would be slow.

eventsourcing's ``JSONTranscoder`` writes every event with the standard
library's JSON encoder configured with a ``default`` hook, which costs 3–6 µs an
event on the recognition path (two events per attestation), about a tenth of
the receiving region's work besides the signatures. Most event states are flat:
names to strings, small ints, booleans, nulls, and the ``timestamp``. For those,
:class:`PlainJSONTranscoder` writes the very bytes the library writes — the
datetime as its registered transcoding's ``{"_type_", "_data_"}`` object,
strings with the same escapes (``ensure_ascii=False``: UTF-8, only ``"``, ``\\``
and control characters escaped) — through pydantic-core's serializer, four to
five times faster. Anything else (UUIDs, Decimals, nested values, floats, big
ints, ``str`` subclasses such as enum members) goes to the library's encoder,
and reading is the library's, so stored events read the same whichever wrote
them. ``tests/unit/test_store_transcoder.py`` holds the two byte for byte.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pydantic_core
from eventsourcing.persistence import JSONTranscoder

_SAFE_INT = 2**63 - 1


class PlainJSONTranscoder(JSONTranscoder):
    """The library's JSON transcoder, with a fast path for flat event states."""

    def encode(self, obj: Any) -> bytes:
        """``obj`` as the library's transcoder writes it."""
        if type(obj) is dict:
            plain = self._plain(obj)
            if plain is not None:
                try:
                    return pydantic_core.to_json(plain)
                except pydantic_core.PydanticSerializationError:
                    pass  # e.g. a lone surrogate: let the library's encoder say what is wrong
        return super().encode(obj)

    def _plain(self, state: dict[Any, Any]) -> dict[str, Any] | None:
        """``state`` with its datetimes transcoded, or None when it is not flat."""
        plain: dict[str, Any] = {}
        for name, value in state.items():
            kind = type(value)
            if type(name) is not str:
                return None
            if kind is str or value is None or kind is bool:
                plain[name] = value
            elif kind is int and -_SAFE_INT <= value <= _SAFE_INT:
                plain[name] = value
            elif kind is dt.datetime and kind in self.types:
                transcoding = self.types[kind]
                plain[name] = {"_type_": transcoding.name, "_data_": transcoding.encode(value)}
            else:
                return None
        return plain
