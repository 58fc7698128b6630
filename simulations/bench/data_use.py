"""``python -m simulations.bench.data_use [--store URL] [N ...]``: one data-use report reading
with N disclosures in the ledger, from the data-use index and by the ledger scan it replaced.

The ledger (SQLite in a temporary folder; with ``--store``, that PostgreSQL database, which
must be empty, and is used for the first N only) holds N disclosures: three about the person
whose report is read, the rest about four other people. Printed per N: a reading by the
scan of every ``Exchange.Disclosed`` (what the report did before the index, kept here as
the reference), a reading from the index with nothing new, one right after a new
exchange about the person (its catch-up included), and the index's one-time build.
Best of several readings; wall clock; the machine is shared, so compare within a line.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hub.adapters.projections.data_use_book import open_data_uses
from hub.adapters.store.ledger import Arrival, Ledger, Translation
from hub.bootstrap.privacy import build_ledger
from hub.domain.exchange import Exchange
from hub.service_layer.security.decision import Decision
from hub.service_layer.security.recording import authorised_events
from hub.service_layer.security.report import data_use_report
from hub.settings import HubSettings

SERVICE = "north/social-security/contribution-history"
REQUEST = "social-security.contribution-history-query@1.0"
RESPONSE = "social-security.contribution-history@1.0"
DECISION = Decision("income-verification", "legal-basis", "a law", fields=("periods",))
PERSON = "19800101-1234"
OTHERS = ("19751224-5678", "19920315-2468", "20010704-1357", "19660229-9999")


def seed_disclosures(ledger: Ledger, national_ids: tuple[str, ...], count: int,
                     recipient: str = "north/tax") -> None:
    """``count`` answered queries about ``national_ids`` (in turn) disclosed to ``recipient``,
    recorded as the hub records them (Received … Disclosed), 250 exchanges per transaction."""
    batch: list[Any] = []
    for i in range(count):
        national_id = national_ids[i % len(national_ids)]
        arrival = Arrival(client=recipient, service=SERVICE, correlation_id=f"seed-{i}",
                          ingress="bench", payload_digest="0" * 64, payload_size=1)
        translation = Translation(REQUEST, {"national_id": national_id}, "0" * 64,
                                  "north/social-security", "hub.bench",
                                  data_subject=ledger.keyring.ref_for(national_id))
        accepted, _ = authorised_events(arrival, translation, DECISION)
        exchange: Any = None
        for event in accepted:  # the exchange as the ledger would load it
            exchange = event.mutate(exchange)
        exchange.deliver(1)
        exchange.respond(RESPONSE, {"periods": []}, "1" * 64, 1.0, exchange.data_subject,
                         DECISION.purpose, DECISION.retention)
        exchange.disclose(DECISION.purpose, DECISION.basis, DECISION.legal_basis, "",
                          recipient, list(DECISION.fields), exchange.data_subject)
        batch.extend([*accepted, exchange])
        if len(batch) == 250 * 5 or i == count - 1:
            ledger.save(*batch)
            batch = []


def scan_report(ledger: Ledger, subject_ref: str, batch: int = 500) -> list[Any]:
    """The reference: the report as a scan of every Disclosed, loading each matching exchange."""
    uses: list[Any] = []
    start = 1
    while page := ledger.notifications(start, batch, (Exchange.Disclosed.TOPIC,)):
        for notification in page:
            disclosed: Any = ledger.mapper.to_domain_event(notification)
            if disclosed.data_subject == subject_ref:
                exchange = ledger.get(disclosed.originator_id)
                uses.append((disclosed, exchange.service, exchange.retention))
        start = page[-1].id + 1
    return uses


def _best(reading: Callable[[], list[Any]], times: int) -> tuple[float, int]:
    """The fastest of ``times`` readings (seconds) and how many uses it returned."""
    fastest, found = float("inf"), 0
    for _ in range(times):
        started = time.perf_counter()
        found = len(reading())
        fastest = min(fastest, time.perf_counter() - started)
    return fastest, found


def measure(total: int, store_url: str | None = None) -> str:
    """One line of figures with ``total`` disclosures in the ledger (of ``store_url``)."""
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "hub"
        ledger = build_ledger(HubSettings(data=data, store=store_url))
        book = open_data_uses(ledger, store_url, data)
        try:
            seed_disclosures(ledger, (PERSON,), 3)
            seed_disclosures(ledger, OTHERS, total - 3)
            ref = ledger.keyring.ref_for(PERSON)
            scan_s, scanned = _best(lambda: scan_report(ledger, ref), 3)
            started = time.perf_counter()
            data_use_report(book, ref)
            build_s = time.perf_counter() - started
            idle_s, indexed = _best(lambda: data_use_report(book, ref), 20)
            seed_disclosures(ledger, (PERSON,), 1)
            started = time.perf_counter()
            fresh = len(data_use_report(book, ref))
            fresh_s = time.perf_counter() - started
        finally:
            book.close()
            ledger.close()
    assert scanned == indexed == 3 and fresh == 4, (scanned, indexed, fresh)
    return (f"{total:>7,} disclosures: scan {scan_s * 1000:8.1f} ms | index "
            f"{idle_s * 1000:6.2f} ms (nothing new), {fresh_s * 1000:6.2f} ms (one new "
            f"exchange) | index built once in {build_s:5.2f} s")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    url = None
    if arguments and arguments[0].startswith("--store="):
        url = arguments.pop(0).split("=", 1)[1]
    for argument in arguments or ("2000", "20000"):
        print(measure(int(argument), url), flush=True)
