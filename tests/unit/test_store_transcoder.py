"""The federation store's transcoder writes exactly what eventsourcing's JSONTranscoder writes."""

from __future__ import annotations

import datetime as dt
import enum
import random
import uuid
from decimal import Decimal
from typing import Any

import pytest
from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder

from hub.adapters.store.transcoder import PlainJSONTranscoder
from hub.domain.recognition import Recognition

_CHARS = ['a', 'Z', '"', '\\', '\b', '\f', '\n', '\r', '\t', '\x00', '\x1f', '\x7f', 'é', '€',
          '\u2028', '\ufeff', '\U0001f600', '\ue000', '/', '<']


class _Colour(enum.StrEnum):
    RED = "red"


def _pair() -> tuple[JSONTranscoder, PlainJSONTranscoder]:
    app: Application[uuid.UUID] = Application()
    library, ours = JSONTranscoder(), PlainJSONTranscoder()
    app.register_transcodings(library)
    app.register_transcodings(ours)
    return library, ours


def _leaf(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.5:
        return "".join(rng.choice(_CHARS) for _ in range(rng.randint(0, 8)))
    return rng.choice([None, True, False, 0, -1, 2**53, 2**63 - 1, -(2**63) + 1, 2**63, 2**70,
                       0.5, dt.datetime(2026, 3, 2, 9, 0, 1, 7, tzinfo=dt.UTC),
                       dt.datetime(2026, 3, 2, 9, 0), uuid.UUID(int=7), Decimal("1.10"),
                       _Colour.RED, [1, "a"], {"x": uuid.UUID(int=1)}])


@pytest.mark.parametrize("seed", range(5))
def test_same_bytes_as_the_library(seed: int) -> None:
    """Flat or not, every state is written byte for byte as the library writes it."""
    library, ours = _pair()
    rng = random.Random(seed)
    for _ in range(400):
        state = {f"f{i}": _leaf(rng) for i in range(rng.randint(0, 6))}
        assert ours.encode(state) == library.encode(state), state
        assert ours.decode(ours.encode(state)) == library.decode(library.encode(state))


def test_a_lone_surrogate_fails_as_in_the_library() -> None:
    """Text that has no UTF-8 form is refused with the library's own error."""
    library, ours = _pair()
    state = {"detail": "\ud800"}
    with pytest.raises(UnicodeEncodeError):
        library.encode(state)
    with pytest.raises(UnicodeEncodeError):
        ours.encode(state)


def test_recognition_events_are_written_by_the_fast_path() -> None:
    """The events of a recognition are flat, so they take the fast path (not the fallback)."""
    fields = dict.fromkeys(("statement", "attestation", "department", "contract", "read_as",
                            "subject", "content_digest", "issued_at", "valid_until", "kid",
                            "agreement_id", "at", "receipt"), "x")
    _, ours = _pair()
    for event in Recognition.opened_with("north", str(uuid.UUID(int=3)),
                                         Recognition.Recognised, **fields):
        state = dict(vars(event))
        del state["originator_id"], state["originator_version"]
        assert ours._plain(state) is not None
