"""The stores' transcoder writes exactly what eventsourcing's JSONTranscoder writes."""

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

from hub.adapters.store.ledger import Ledger
from hub.adapters.store.transcoder import PlainJSONTranscoder
from hub.domain.recognition import Recognition
from hub.service_layer.exchanges.routed import RoutedExchange, completed, delivery_request
from hub.service_layer.security.recording import authorised_events

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


_FLOATS = [0.0, -0.0, 0.5, 1e-4, -1e-4, 9.99e-5, 1e-5, 2.5e-7, 5e-324, 1e16, 1.5e300,
           123.456, -2.0 / 3, 1e22, float("nan"), float("inf"), float("-inf")]


def _leaf(rng: random.Random, depth: int = 2) -> Any:
    roll = rng.random()
    if roll < 0.4:
        return "".join(rng.choice(_CHARS) for _ in range(rng.randint(0, 8)))
    if roll < 0.55:
        return rng.choice(_FLOATS) * rng.choice([1, 1, 3.7, 1e-3])
    if roll < 0.7 and depth:
        if rng.random() < 0.5:
            return [_leaf(rng, depth - 1) for _ in range(rng.randint(0, 3))]
        return {rng.choice(["k", "é", "\n", "_type_", "_data_"]) + str(i): _leaf(rng, depth - 1)
                for i in range(rng.randint(0, 3))}
    return rng.choice([None, True, False, 0, -1, 2**53, 2**63 - 1, -(2**63) + 1, 2**63, 2**70,
                       dt.datetime(2026, 3, 2, 9, 0, 1, 7, tzinfo=dt.UTC),
                       dt.datetime(2026, 3, 2, 9, 0), uuid.UUID(int=7), Decimal("1.10"),
                       _Colour.RED, (1, "a"), {1: "int key"}, {"x": uuid.UUID(int=1)}])


@pytest.mark.parametrize("seed", range(5))
def test_same_bytes_as_the_library(seed: int) -> None:
    """Plain or not, nested or not, every state is written byte for byte as the library
    writes it (NaN compares unequal to itself, so the read-back is compared as text)."""
    library, ours = _pair()
    rng = random.Random(seed)
    plain = 0
    for _ in range(400):
        state = {f"f{i}": _leaf(rng) for i in range(rng.randint(0, 6))}
        assert ours.encode(state) == library.encode(state), state
        assert repr(ours.decode(ours.encode(state))) == repr(library.decode(library.encode(state)))
        plain += ours._plain(state) is not None
    assert 40 < plain < 360  # both paths taken


def test_a_lone_surrogate_fails_as_in_the_library() -> None:
    """Text that has no UTF-8 form is refused with the library's own error."""
    library, ours = _pair()
    state = {"detail": "\ud800"}
    with pytest.raises(UnicodeEncodeError):
        library.encode(state)
    with pytest.raises(UnicodeEncodeError):
        ours.encode(state)


def test_deep_and_odd_values_take_the_library_path() -> None:
    """What pydantic-core would write differently, or the library refuses, is not plain."""
    _, ours = _pair()
    deep: Any = "leaf"
    for _ in range(40):
        deep = [deep]
    for value in (deep, 1e-5, float("nan"), (1, 2), {1: "a"}, 2**64, _Colour.RED, Decimal(1)):
        assert ours._plain({"v": value}) is None, value
    assert ours._plain({"v": [{"a": [1.5, None, "x"]}], "t": dt.datetime(2026, 1, 1)}) == {
        "v": [{"a": [1.5, None, "x"]}],
        "t": {"_type_": "datetime_iso", "_data_": "2026-01-01T00:00:00"},
    }


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


def test_a_querys_events_are_written_by_the_fast_path(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every event of an answered query, sealed by the ledger's own mapper, is written by
    pydantic-core: the library's encoder is not reached (its cost was 3 % of a query)."""
    from tests.unit.test_authorised_events import ARRIVAL, DECISION, TRANSLATION

    def refuse(_self: JSONTranscoder, obj: Any) -> bytes:
        raise AssertionError(f"the library's encoder wrote {obj!r}")

    built, routed = authorised_events(ARRIVAL, TRANSLATION, DECISION, inline=True)
    exchange = RoutedExchange.of(delivery_request(routed), routed.originator_version,
                                 dict(TRANSLATION.document))
    answered = exchange.responded(attempt=1, contract="x.answer@1.0",
                                  document={"periods": [{"year": 2020, "amount": 1234.5}]},
                                  digest="c" * 64, provider_ms=3.25, disclosed=DECISION)
    done = completed(exchange.id, exchange.version, reply_digest="d" * 64, latency_ms=4.5)
    monkeypatch.setattr(JSONTranscoder, "encode", refuse)
    stored = [ledger.mapper.to_stored_event(e) for e in [*built, *answered, done]]
    assert [s.topic.rsplit(".", 1)[-1] for s in stored] == [
        "received", "translated", "authorised", "routed", "delivered", "responded",
        "disclosed", "completed"]
    assert b'"ct":' in stored[1].state  # the request, sealed
