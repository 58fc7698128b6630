"""A region's history as reconciliation sees it: small values, and their JSON form.

A :class:`History` is what one region recorded that another region can check:

- ``records`` — records it issued: the attestation, the revocation (if any), and
  every receipt a receiver returned and this region recorded;
- ``decisions`` — what it decided about peers' statements (recognised, refused,
  withdrawn, noted, replayed), each with the signed receipt it returned;
- ``scopes`` — its agreements: which records it owes which peer;
- ``queries`` — its cross-region exchanges (client or provider in another region);
- ``checkpoints`` — its own signed audit checkpoints, and ``peer_checkpoints`` —
  the checkpoints it holds of each peer's log.

It carries digests and signed statements, never personal payloads, so it can
travel: the JSON document (:meth:`History.to_json`, format
``interop-hub/history/v1``) is what a region answers when a peer asks for its
history online, and what the offline loader builds from a data folder::

    {"format": "interop-hub/history/v1", "region": "north", "as_of": "<RFC 3339>",
     "records": [{"record_id", "department", "contract", "content_digest", "issued_at",
                  "attestation", "attestation_digest", "revocation", "revocation_digest",
                  "revoked_at", "receipts": [{"receiver", "statement", "outcome", "reason",
                                              "digest", "receipt", "at"}]}],
     "decisions": [{"issuer", "record_id", "statement", "kind", "reason",
                    "content_digest", "at", "receipt", "receipt_digest", "verified"}],
     "scopes": [{"agreement_id", "proposer", "accepter", "contracts", "departments",
                 "valid_from", "valid_until", "accepted_at", "terminated_at"}],
     "queries": [{"exchange_id", "correlation_id", "client", "service", "provider",
                  "ingress", "status", "received_at", "request_digest", "response_digest"}],
     "checkpoints": [{"origin", "size", "root", "timestamp", "note"}],
     "peer_checkpoints": {"<peer>": [<checkpoint>, ...]}}

Times are RFC 3339 (UTC, ``Z``); absent values are ``null``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hub.service_layer.federation.reconciliation.errors import HistoryFormatError

HISTORY_FORMAT = "interop-hub/history/v1"


def region_part(identifier: str) -> str:
    """The region of ``region/department[/service]``."""
    return identifier.partition("/")[0]


@dataclass(frozen=True)
class HeldReceipt:
    """A receipt the issuer recorded: what one receiver decided about one statement it sent."""

    receiver: str
    statement: str
    outcome: str
    reason: str | None
    digest: str
    receipt: str
    at: dt.datetime


@dataclass(frozen=True)
class IssuedRecord:
    """A record this region issued, its attestation, revocation and the receipts it holds."""

    record_id: str
    department: str
    contract: str
    content_digest: str
    issued_at: dt.datetime
    attestation: str
    attestation_digest: str
    revocation: str | None = None
    revocation_digest: str | None = None
    revoked_at: dt.datetime | None = None
    receipts: tuple[HeldReceipt, ...] = ()


@dataclass(frozen=True)
class Decision:
    """One decision this region recorded about a peer's statement, and the receipt it returned.

    ``kind`` is ``recognised``, ``refused``, ``withdrawn``, ``noted`` or ``replayed``
    (a replay returns the original receipt, so it has none of its own).
    ``verified`` is False for statements refused before their signature verified:
    their ``issuer`` and ``record_id`` are only what the statement claimed.
    """

    issuer: str
    record_id: str | None
    statement: str
    kind: str
    reason: str | None
    content_digest: str | None
    at: dt.datetime
    receipt: str | None
    receipt_digest: str | None
    verified: bool = True


@dataclass(frozen=True)
class Scope:
    """An agreement as reconciliation needs it: who owes whom which records, since when."""

    agreement_id: str
    proposer: str
    accepter: str
    contracts: tuple[str, ...]
    departments: tuple[str, ...]
    valid_from: dt.datetime
    valid_until: dt.datetime
    accepted_at: dt.datetime | None = None
    terminated_at: dt.datetime | None = None

    def expects(self, issuer: str, receiver: str, record: IssuedRecord) -> bool:
        """Whether ``receiver`` should have been sent ``issuer``'s ``record`` under this scope.

        The agreement must be between the two, accepted by both, cover the record's
        contract and department, and have been valid (not yet terminated) when the
        record was issued.
        """
        if {self.proposer, self.accepter} != {issuer, receiver} or self.accepted_at is None:
            return False
        at = record.issued_at
        if self.terminated_at is not None and at >= self.terminated_at:
            return False
        return (record.contract in self.contracts
                and f"{issuer}/{record.department}" in self.departments
                and self.valid_from <= at < self.valid_until)


@dataclass(frozen=True)
class Query:
    """One cross-region exchange as recorded by one side (the client's or the provider's)."""

    exchange_id: str
    correlation_id: str
    client: str
    service: str
    provider: str | None
    ingress: str
    status: str
    received_at: dt.datetime
    request_digest: str | None = None
    response_digest: str | None = None

    @property
    def client_region(self) -> str:
        return region_part(self.client)

    @property
    def service_region(self) -> str:
        return region_part(self.service)


@dataclass(frozen=True)
class SeenCheckpoint:
    """A signed audit checkpoint: its body (origin, size, root, timestamp) and the note."""

    origin: str
    size: int
    root: str
    timestamp: str
    note: str


@dataclass(frozen=True)
class History:
    """What one region recorded, as of ``as_of`` (see the module doc)."""

    region: str
    as_of: dt.datetime
    records: tuple[IssuedRecord, ...] = ()
    decisions: tuple[Decision, ...] = ()
    scopes: tuple[Scope, ...] = ()
    queries: tuple[Query, ...] = ()
    checkpoints: tuple[SeenCheckpoint, ...] = ()
    peer_checkpoints: Mapping[str, tuple[SeenCheckpoint, ...]] = field(default_factory=dict)

    def concerning(self, peer: str) -> History:
        """Only what concerns ``peer`` (what a region sends a peer that asks for its history)."""
        scopes = tuple(s for s in self.scopes if peer in (s.proposer, s.accepter))
        records = tuple(
            r for r in self.records
            if any(x.receiver == peer for x in r.receipts)
            or any(s.expects(self.region, peer, r) for s in scopes))
        return dataclasses.replace(
            self, records=records, scopes=scopes,
            decisions=tuple(d for d in self.decisions if d.issuer == peer),
            queries=tuple(q for q in self.queries
                          if peer in (q.client_region, q.service_region)),
            peer_checkpoints={k: v for k, v in self.peer_checkpoints.items() if k == peer})

    def to_json(self) -> dict[str, Any]:
        """The JSON document of this history (format :data:`HISTORY_FORMAT`)."""
        return {"format": HISTORY_FORMAT, **_dump(self)}

    @classmethod
    def from_json(cls, document: object) -> History:
        """Read a history document; HistoryFormatError names the first bad member."""
        if not isinstance(document, Mapping) or document.get("format") != HISTORY_FORMAT:
            raise HistoryFormatError("/format", f"expected {HISTORY_FORMAT!r}")
        body = {k: v for k, v in document.items() if k != "format"}
        return _load(cls, body, "")


# -- JSON of the values above: one generic reader and writer over their annotations ---------

def _dump(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, tuple | list):
        return [_dump(item) for item in value]
    if isinstance(value, Mapping):
        return {str(k): _dump(v) for k, v in value.items()}
    return value


T = TypeVar("T")


def _load(cls: type[T], data: object, path: str) -> T:
    if not isinstance(data, Mapping):
        raise HistoryFormatError(path, "expected an object")
    hints = typing.get_type_hints(cls)
    names = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise HistoryFormatError(f"{path}/{unknown[0]}", "not a member of this object")
    values = {}
    for name, spec in names.items():
        if name not in data:
            has_default = (spec.default is not dataclasses.MISSING
                           or spec.default_factory is not dataclasses.MISSING)
            if has_default:
                continue
            raise HistoryFormatError(f"{path}/{name}", "required")
        values[name] = _value(hints[name], data[name], f"{path}/{name}")
    return cls(**values)


def _value(hint: Any, data: object, path: str) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        if data is None and type(None) in args:
            return None
        (inner,) = (a for a in args if a is not type(None))
        return _value(inner, data, path)
    if origin is tuple:
        if not isinstance(data, list):
            raise HistoryFormatError(path, "expected a list")
        return tuple(_value(args[0], item, f"{path}/{i}") for i, item in enumerate(data))
    if origin in (Mapping, dict):
        if not isinstance(data, Mapping):
            raise HistoryFormatError(path, "expected an object")
        return {str(k): _value(args[1], v, f"{path}/{k}") for k, v in data.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _load(hint, data, path)
    return _scalar(hint, data, path)


def _scalar(hint: Any, data: object, path: str) -> Any:
    if hint is dt.datetime:
        try:
            moment = dt.datetime.fromisoformat(data) if isinstance(data, str) else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise HistoryFormatError(path, "expected an RFC 3339 instant with a time zone")
        return moment
    if hint is bool and isinstance(data, bool):
        return data
    if hint is int and isinstance(data, int) and not isinstance(data, bool):
        return data
    if hint is str and isinstance(data, str):
        return data
    raise HistoryFormatError(path, f"expected {getattr(hint, '__name__', hint)}")
