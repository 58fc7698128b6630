"""The data-use index: one row per disclosure of a person's data, found by their subject reference.

A disclosure event names the subject (by pseudonymous reference), the recipient,
the purpose, the basis and the fields (by path, never by value). What it does not
repeat — the service asked and the retention period of what was kept — was said
earlier by its aggregate's own events; the projection keeps those *facts* in a small
table keyed by aggregate until the aggregate can disclose no more (an exchange,
once completed or rejected), and copies them into each disclosure's row.

Event handling is two tables keyed by event topic: :data:`FACTS` (events that say
something later disclosures of the same aggregate need) and :data:`DISCLOSURES`
(events that are a use of someone's data, each turned into one row). Another kind
of disclosure is one entry in :data:`DISCLOSURES` (and, if its aggregate's facts come
from an event not listed yet, one in :data:`FACTS`).

Nothing personal is stored: subject references, field paths, departments and
purposes only. Forgetting a person destroys their keys, not these rows, so the
report of a forgotten person still lists every use of their data.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from hub.adapters.projections.base import Event, EventHeader, Projection
from hub.adapters.projections.store import Tx
from hub.adapters.projections.timestamps import from_micros, to_micros
from hub.domain.document import Document
from hub.domain.exchange import Exchange
from hub.domain.retention import bucket_end, expiry_bucket

COLUMNS = (
    "source", "version", "subject", "at_us", "exchange_id", "recipient", "service", "purpose",
    "basis", "legal_basis", "consent_id", "fields", "retention", "kept_until_us",
)  # fmt: skip
# SQL in this package is built only from constant identifiers and "?" placeholders (hence
# the S608 waivers); values always travel as parameters.
_INSERT = (
    f"INSERT INTO data_use ({', '.join(COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join('?' for _ in COLUMNS)}) ON CONFLICT (source, version) DO NOTHING"
)
REPORT_SQL = (
    f"SELECT {', '.join(COLUMNS[3:])} FROM data_use "  # noqa: S608
    "WHERE subject = ? ORDER BY at_us, source, version"
)
_FETCH_CHUNK = 500

Facts = dict[str, str]
"""What earlier events of an aggregate said that its disclosures need (service, retention…)."""


@dataclass(frozen=True)
class DataUse:
    """One disclosure of the subject's data to a department."""

    at: dt.datetime
    exchange_id: str
    recipient: str
    service: str
    purpose: str
    basis: str
    legal_basis: str
    consent_id: str
    fields: tuple[str, ...]
    retention: str = ""  # the purpose's retention period (ISO 8601); "" until forgotten
    kept_until: dt.datetime | None = None  # unreadable from then on; None: until forgotten

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: times in ISO 8601, fields as a list."""
        record = asdict(self)
        record["at"] = self.at.isoformat()
        record["fields"] = list(self.fields)
        record["kept_until"] = self.kept_until.isoformat() if self.kept_until else None
        return record


def uses_of(tx: Tx, subject_ref: str) -> list[DataUse]:
    """Every disclosure about ``subject_ref``, oldest first: one query on the subject index."""
    return [_use(values) for values in tx.query(REPORT_SQL, (subject_ref,))]


def _use(values: tuple[Any, ...]) -> DataUse:
    (subject_at, exchange_id, recipient, service, purpose, basis, legal_basis, consent_id,
     fields, retention, kept_until_us) = values
    return DataUse(
        at=from_micros(int(subject_at)), exchange_id=exchange_id, recipient=recipient,
        service=service, purpose=purpose, basis=basis, legal_basis=legal_basis,
        consent_id=consent_id, fields=tuple(json.loads(fields)), retention=retention,
        kept_until=from_micros(int(kept_until_us)) if kept_until_us is not None else None,
    )  # fmt: skip


def kept_until(at: dt.datetime, retention: str) -> dt.datetime | None:
    """When what was stored at ``at`` becomes unreadable: the end of its expiry bucket
    (:mod:`hub.domain.retention`); None without a period (kept until forgotten)."""
    return bucket_end(expiry_bucket(at, retention)) if retention else None


def _row(event: Any, source: str, exchange_id: str, service: str, fields: Sequence[str],
         retention: str, subject: str, until: dt.datetime | None = None) -> tuple[Any, ...]:
    """The ``data_use`` row of one disclosure (in :data:`COLUMNS` order); kept until
    ``until`` when given, else the end of the bucket the disclosure's time falls in."""
    until = until or kept_until(event.timestamp, retention)
    return (
        source, event.originator_version, subject, to_micros(event.timestamp), exchange_id,
        event.recipient, service, event.purpose, event.basis, event.legal_basis,
        event.consent_id, json.dumps(list(fields)), retention,
        to_micros(until) if until is not None else None,
    )  # fmt: skip


# -- what each event contributes --------------------------------------------------------------


def _exchange_received(facts: Facts, e: Any) -> None:
    facts["service"] = e.service


def _exchange_translated(facts: Facts, e: Any) -> None:
    facts["retention"] = e.retention


def _exchange_disclosed(facts: Facts, e: Any) -> tuple[Any, ...] | None:
    if not e.data_subject:
        return None  # about no one: not a use of anyone's data
    exchange_id = str(e.originator_id)
    return _row(e, exchange_id, exchange_id, facts.get("service", ""), e.fields,
                facts.get("retention", ""), e.data_subject)


def _document_supplied(facts: Facts, e: Any) -> None:
    facts.update(service=e.service, subject=e.data_subject,
                 label=f"document {e.document_id} ({e.media_type})",
                 retention=e.retention, kept_until=e.kept_until)


def _document_disclosed(facts: Facts, e: Any) -> tuple[Any, ...] | None:
    if not facts.get("subject"):
        return None  # supplied before this index knew it, or about no one
    # kept until what Supplied recorded: the period runs from the supply, not the disclosure
    kept = facts.get("kept_until", "")
    return _row(e, str(e.originator_id), e.exchange_id, facts["service"], [facts["label"]],
                facts.get("retention", ""), facts["subject"],
                until=dt.datetime.fromisoformat(kept) if kept else None)


FACTS: dict[str, Callable[[Facts, Any], None]] = {
    Exchange.Received.TOPIC: _exchange_received,
    Exchange.Translated.TOPIC: _exchange_translated,
    Document.Supplied.TOPIC: _document_supplied,  # a document's facts stay: one row each
}
"""Events whose content later disclosures of the same aggregate need, by topic."""

DISCLOSURES: dict[str, Callable[[Facts, Any], tuple[Any, ...] | None]] = {
    Exchange.Disclosed.TOPIC: _exchange_disclosed,
    Document.Disclosed.TOPIC: _document_disclosed,
}
"""Events that are a use of someone's data, by topic: each returns its row (None: not one)."""

ENDS: frozenset[str] = frozenset({Exchange.Completed.TOPIC, Exchange.Rejected.TOPIC})
"""Events after which an aggregate discloses nothing more: its facts are dropped.
(A failed or dead-lettered exchange may be requeued, so its facts stay.)"""


class DataUses(Projection):
    """One row per disclosure, indexed by subject reference and time."""

    name: ClassVar[str] = "data-use"
    version: ClassVar[int] = 2  # 2: documents' disclosures too
    tables: ClassVar[tuple[str, ...]] = ("data_use", "data_use_facts")
    topics: ClassVar[frozenset[str]] = frozenset(FACTS) | frozenset(DISCLOSURES) | ENDS
    header_topics: ClassVar[frozenset[str]] = ENDS  # only the fact of the end is read

    def create(self, tx: Tx) -> None:
        tx.execute(
            "CREATE TABLE IF NOT EXISTS data_use ("
            "source TEXT NOT NULL, version INTEGER NOT NULL, subject TEXT NOT NULL, "
            "at_us BIGINT NOT NULL, exchange_id TEXT NOT NULL, recipient TEXT NOT NULL, "
            "service TEXT NOT NULL, purpose TEXT NOT NULL, basis TEXT NOT NULL, "
            "legal_basis TEXT NOT NULL, consent_id TEXT NOT NULL, fields TEXT NOT NULL, "
            "retention TEXT NOT NULL, kept_until_us BIGINT, PRIMARY KEY (source, version))"
        )
        tx.execute(
            "CREATE TABLE IF NOT EXISTS data_use_facts (id TEXT PRIMARY KEY, facts TEXT NOT NULL)"
        )

    def create_indexes(self, tx: Tx) -> None:
        # in the report's order, so a reading is one range of the index and no sort
        tx.execute(
            "CREATE INDEX IF NOT EXISTS ix_data_use_subject "
            "ON data_use (subject, at_us, source, version)"
        )

    def apply(self, tx: Tx, events: Sequence[Event]) -> None:
        ids = {str(e.originator_id) for e in events}
        facts = self._stored_facts(tx, sorted(ids))  # aggregates begun before this batch
        known = set(facts)
        rows: list[tuple[Any, ...]] = []
        for event in events:
            topic = _topic(event)
            key = str(event.originator_id)
            if topic in ENDS:
                facts.pop(key, None)
            elif topic in FACTS:
                FACTS[topic](facts.setdefault(key, {}), event)
            elif topic in DISCLOSURES:
                row = DISCLOSURES[topic](facts.get(key, {}), event)
                if row is not None:
                    rows.append(row)
        ended = known - set(facts)
        tx.executemany("DELETE FROM data_use_facts WHERE id = ?", [(i,) for i in sorted(ended)])
        tx.executemany(
            "INSERT INTO data_use_facts (id, facts) VALUES (?, ?) "
            "ON CONFLICT (id) DO UPDATE SET facts = excluded.facts",
            [(key, json.dumps(value)) for key, value in facts.items()],
        )
        tx.executemany(_INSERT, rows)

    def _stored_facts(self, tx: Tx, ids: list[str]) -> dict[str, Facts]:
        found: dict[str, Facts] = {}
        for i in range(0, len(ids), _FETCH_CHUNK):
            chunk = ids[i : i + _FETCH_CHUNK]
            marks = ", ".join("?" for _ in chunk)
            for key, facts in tx.query(
                f"SELECT id, facts FROM data_use_facts WHERE id IN ({marks})",  # noqa: S608
                chunk,
            ):
                found[key] = json.loads(facts)
        return found


def _topic(event: Event) -> str:
    return event.topic if type(event) is EventHeader else type(event).TOPIC  # type: ignore[union-attr]
