"""A person's consents are found through the consents read model's index by subject: the
work of listing them grows with that person's consents, not with the region's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hub.adapters.store.ledger import Ledger
from hub.bootstrap.privacy import build_ledger
from hub.domain.consent import Consent
from hub.service_layer.citizen.views import consent_items
from hub.service_layer.security.consents import ConsentBook
from hub.settings import HubSettings
from hub.work import WORK

NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
PERSON = "19800101-1234"


def _grant_many(ledger: Ledger, first: int, people: int) -> None:
    """One consent each for ``people`` other persons, saved in one transaction."""
    consents = []
    for n in range(first, first + people):
        consent = Consent(ledger.keyring.ref_for(f"1970{n:04d}-0000"), "tax-assessment",
                          "north/tax")
        consent.grant(consent.subject_ref, "tax-assessment", "north/tax", [], "2099-12-31")
        consents.append(consent)
    ledger.save(*consents)


def _region(tmp_path: Path, others: int) -> tuple[Ledger, str]:
    ledger = build_ledger(HubSettings(data=tmp_path / f"others-{others}"))
    ref = ledger.keyring.ref_for(PERSON)
    book = ConsentBook(ledger)
    _grant_many(ledger, 0, others // 2)
    book.grant(ref, "tax-assessment", "north/tax", until=dt.date(2099, 12, 31))
    _grant_many(ledger, others // 2, others - others // 2)
    book.grant(ref, "benefit-claim", "north/social-security", until=dt.date(2099, 12, 31),
               fields=["periods"])
    return ledger, ref


def _reads_of_one_listing(ledger: Ledger, ref: str) -> tuple[int, list[tuple[str, str]]]:
    consent_items(ledger, ref, NOW)  # the process's first use reads the history once
    before = WORK.snapshot().read_transactions
    items = consent_items(ledger, ref, NOW)
    return (WORK.snapshot().read_transactions - before,
            [(i["purpose"], i["recipient"]) for i in items])


def test_listing_a_persons_consents_costs_the_same_with_10_or_1000_other_peoples(
    tmp_path: Path
) -> None:
    """Store reads of one listing (one per consent of the person, one for the ledger's last
    position): equal with 10 and with 1,000 other people's consents, and the listing is the
    person's two consents in the order granted."""
    counted = {}
    for others in (10, 1000):
        ledger, ref = _region(tmp_path, others)
        try:
            reads, items = _reads_of_one_listing(ledger, ref)
        finally:
            ledger.close()
        assert items == [("tax-assessment", "north/tax"),
                         ("benefit-claim", "north/social-security")]
        counted[others] = reads
    assert counted[10] == counted[1000] == 3, counted


def test_a_consent_granted_by_another_process_is_listed_at_once(tmp_path: Path) -> None:
    """The index is brought up to date before it answers: a grant saved through another
    ledger on the same store (another hub process, the CLI) shows in the next listing."""
    data = tmp_path / "hub"
    reader = build_ledger(HubSettings(data=data))
    writer = build_ledger(HubSettings(data=data))
    try:
        ref = reader.keyring.ref_for(PERSON)
        assert consent_items(reader, ref, NOW) == []
        ConsentBook(writer).grant(ref, "tax-assessment", "north/tax",
                                  until=dt.date(2099, 12, 31))
        assert [i["recipient"] for i in consent_items(reader, ref, NOW)] == ["north/tax"]
        assert consent_items(reader, reader.keyring.ref_for("19751224-5678"), NOW) == []
    finally:
        writer.close()
        reader.close()
