"""Event state as JSON, written by pydantic-core where the library's encoder would be slow.

eventsourcing's ``JSONTranscoder`` writes every event with the standard
library's JSON encoder configured with a ``default`` hook, which costs 3–6 µs an
event: about a tenth of a recognition's work besides the signatures, and the
largest single line of a mediated query's own code (3 % of the serving process
in a profile of P1: seven events and two sealed documents a query). Most event
states are plain: names to strings, ints, booleans, nulls, floats, lists and
dicts of those, and the ``timestamp``. For those, :class:`PlainJSONTranscoder`
writes the very bytes the library writes — the datetime as its registered
transcoding's ``{"_type_", "_data_"}`` object, strings with the same escapes
(``ensure_ascii=False``: UTF-8, only ``"``, ``\\`` and control characters
escaped), floats whose two renderings agree (zero and magnitudes from 1e-4 up:
below that Python writes ``1e-05`` where pydantic-core writes ``0.00001``) —
through pydantic-core's serializer, four to five times faster. Anything else
(UUIDs, Decimals, tiny or non-finite floats, big ints, tuples, ``str``
subclasses such as enum members) sends the whole state to the library's
encoder, and reading is the library's, so stored events read the same whichever
wrote them. ``tests/unit/test_store_transcoder.py`` holds the two byte for byte.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pydantic_core
from eventsourcing.persistence import JSONTranscoder

_SAFE_INT = 2**63 - 1
_SMALLEST_PLAIN_FLOAT = 1e-4  # below it, the two encoders write exponents differently
_DEPTH = 32  # deeper values go to the library's encoder (its recursion, its errors)


class PlainJSONTranscoder(JSONTranscoder):
    """The library's JSON transcoder, with a fast path for plain event states."""

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
        """``state`` with its datetimes transcoded, or None when it is not plain."""
        plain = self._value(state, _DEPTH)
        return plain if plain is not _NOT_PLAIN else None

    def _value(self, value: Any, depth: int) -> Any:
        """``value`` as pydantic-core should write it, or ``_NOT_PLAIN``."""
        kind = type(value)
        if kind is str or value is None or kind is bool:
            return value
        if kind is int:
            return value if -_SAFE_INT <= value <= _SAFE_INT else _NOT_PLAIN
        if kind is float:
            plain = value == 0 or (math.isfinite(value) and abs(value) >= _SMALLEST_PLAIN_FLOAT)
            return value if plain else _NOT_PLAIN
        if depth == 0:
            return _NOT_PLAIN
        if kind is dict:
            out: dict[str, Any] = {}
            for name, item in value.items():
                if type(name) is not str:
                    return _NOT_PLAIN
                written = self._value(item, depth - 1)
                if written is _NOT_PLAIN:
                    return _NOT_PLAIN
                out[name] = written
            return out
        if kind is list:
            items = []
            for item in value:
                written = self._value(item, depth - 1)
                if written is _NOT_PLAIN:
                    return _NOT_PLAIN
                items.append(written)
            return items
        if kind is dt.datetime and kind in self.types:
            transcoding = self.types[kind]
            return {"_type_": transcoding.name, "_data_": transcoding.encode(value)}
        return _NOT_PLAIN


_NOT_PLAIN: Any = object()
