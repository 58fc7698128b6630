"""A History travels as JSON: it reads back equal, and a malformed one names its bad member."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import pytest

from hub.service_layer.federation.reconciliation import HISTORY_FORMAT, History, HistoryFormatError
from hub.service_layer.federation.reconciliation.history import (
    Decision,
    HeldReceipt,
    IssuedRecord,
    Query,
    Scope,
    SeenCheckpoint,
)

T0 = dt.datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)
DIGEST = "sha256:" + "ab" * 32


def _history() -> History:
    held = HeldReceipt("south", DIGEST, "recognised", None, DIGEST, "r.e.c", T0)
    record = IssuedRecord("00000000-0000-4000-8000-000000000001", "tax", "tax.clearance@1.0",
                          DIGEST, T0, "a.t.t", DIGEST, "r.e.v", DIGEST, T0, (held,))
    return History(
        region="north", as_of=T0,
        records=(record, replace(record, record_id="x", revocation=None,
                                 revocation_digest=None, revoked_at=None, receipts=())),
        decisions=(Decision("south", None, DIGEST, "refused", "unknown-key", None, T0, "r",
                            DIGEST, verified=False),),
        scopes=(Scope("a", "north", "south", ("tax.clearance@1.0",), ("north/tax",), T0, T0,
                      accepted_at=T0),),
        queries=(Query("e", "c", "north/tax", "south/ss/history", None, "json", "routed", T0),
                 Query("f", "d", "south/tax", "north/ss/history", "north/ss", "federation",
                       "completed", T0, DIGEST, DIGEST)),
        checkpoints=(SeenCheckpoint("interop-hub/north/ledger", 4, "cm9vdA==",
                                    "2026-05-01T12:00:00.123Z", "note"),),
        peer_checkpoints={"south": (SeenCheckpoint("interop-hub/south/ledger", 2, "eA==",
                                                   "2026-05-01T12:00:00.000Z", "n"),)})


def test_a_history_reads_back_equal_from_its_json() -> None:
    """to_json → json text → from_json is the identity (times keep their microseconds)."""
    history = _history()
    document = json.loads(json.dumps(history.to_json()))
    assert document["format"] == HISTORY_FORMAT
    assert document["as_of"] == "2026-05-01T12:00:00.123456Z"
    assert History.from_json(document) == history


@pytest.mark.parametrize(("mutate", "path"), [
    (lambda d: d.update(format="other"), "/format"),
    (lambda d: d.pop("region"), "/region"),
    (lambda d: d.update(surplus=1), "/surplus"),
    (lambda d: d["records"][0].update(issued_at="yesterday"), "/records/0/issued_at"),
    (lambda d: d["records"][0]["receipts"][0].update(reason=3), "/records/0/receipts/0/reason"),
    (lambda d: d["checkpoints"][0].update(size="4"), "/checkpoints/0/size"),
    (lambda d: d["decisions"][0].update(verified="no"), "/decisions/0/verified"),
    (lambda d: d.update(peer_checkpoints=[]), "/peer_checkpoints"),
    (lambda d: d["scopes"][0].update(contracts="tax"), "/scopes/0/contracts"),
    (lambda d: d["queries"][0].update(received_at="2026-05-01T12:00:00"),
     "/queries/0/received_at"),
])
def test_a_malformed_history_names_the_bad_member(mutate: object, path: str) -> None:
    """Each malformation is refused with a JSON Pointer to it."""
    document = json.loads(json.dumps(_history().to_json()))
    mutate(document)  # type: ignore[operator]
    with pytest.raises(HistoryFormatError) as caught:
        History.from_json(document)
    assert caught.value.path == path
    assert caught.value.issues[0].path == path


def test_a_history_concerning_one_peer_keeps_only_what_that_peer_can_check() -> None:
    """Records owed to or receipted by the peer, its decisions, its queries, its checkpoints."""
    history = _history()
    for_south = history.concerning("south")
    assert [r.record_id for r in for_south.records] == [history.records[0].record_id]
    assert for_south.decisions == history.decisions
    assert len(for_south.queries) == 2 and list(for_south.peer_checkpoints) == ["south"]
    for_east = history.concerning("east")
    assert (for_east.records, for_east.decisions, for_east.queries, for_east.scopes) == (
        (), (), (), ())
    assert for_east.checkpoints == history.checkpoints and not for_east.peer_checkpoints
