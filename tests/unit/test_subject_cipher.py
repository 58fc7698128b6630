"""Personal fields sealed per data subject: round trip, tamper refusal, erasure, refs, KEK."""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from contracts.social_security import ContributionHistory, ContributionHistoryQuery
from contracts.tax import TaxClearanceQuery
from hub.adapters.crypto.envelope import is_erased
from hub.adapters.crypto.errors import KeyEncryptionKeyError, SubjectError, TamperedFieldError
from hub.adapters.crypto.keyring import SubjectKeyring, open_keyring
from hub.adapters.crypto.keystore import SqliteKeyStore
from hub.adapters.crypto.mapper import sealed_reader
from hub.adapters.crypto.subjects import is_subject_ref
from hub.adapters.store.ledger import Arrival, Ledger, Translation
from hub.domain.exchange import Exchange, Status
from hub.service_layer.privacy.erasure import erasures_of, forget_subject
from hub.settings import HubSettings

ANDERSSON = "19800101-1234"
HISTORY = "social-security.contribution-history@1.0"
BRANDT = "19751224-5678"
ARRIVAL = Arrival(
    "north/tax",
    "north/social-security/contribution-history",
    "c-1",
    "json",
    "sha256:00",
    42,
    "_hub.north.reply.x",
)
POPO = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


def query(national_id: str) -> dict[str, str]:
    return {"national_id": national_id, "period_start": "2000-01-01", "period_end": "2026-12-31"}


def answer(national_id: str, family_name: str) -> dict[str, object]:
    person = {
        "national_id": national_id,
        "family_name": family_name,
        "given_names": "Maria Elena",
        "date_of_birth": "1980-01-01",
    }
    return {"person": person, "periods": [], "as_of": "2026-01-01"}


@pytest.fixture
def keyring(tmp_path: Path) -> Iterator[SubjectKeyring]:
    ring = SubjectKeyring(SqliteKeyStore(tmp_path / "keys.sqlite3"), os.urandom(32))
    yield ring
    ring.close()


@pytest.fixture
def ledger(keyring: SubjectKeyring) -> Ledger:
    return Ledger(POPO, keyring=keyring)


def record(ledger: Ledger, national_id: str, family_name: str) -> UUID:
    """One exchange about a person, answered."""
    ref = ledger.keyring.ref_for(national_id)
    translation = Translation(
        "social-security.contribution-history-query@1.0",
        query(national_id),
        "sha256:11",
        "north/social-security",
        "hub.north.deliver.x",
        data_subject=ref,
    )
    exchange_id = ledger.record_accepted(ARRIVAL, translation)
    ledger.record_response(
        exchange_id,
        attempt=1,
        contract=HISTORY,
        document=answer(national_id, family_name),
        digest="sha256:22",
        provider_ms=1.0,
    )
    return exchange_id


def stored(ledger: Ledger, exchange_id: UUID, version: int) -> StoredEvent:
    return next(
        e for e in ledger.recorder.select_events(exchange_id) if e.originator_version == version
    )


def with_state(event: StoredEvent, state: dict[str, object]) -> StoredEvent:
    return StoredEvent(
        event.originator_id, event.originator_version, event.topic, json.dumps(state).encode()
    )


def test_personal_fields_round_trip_through_the_store(ledger: Ledger) -> None:
    """The request and the answer are stored sealed and read back exactly as recorded."""
    exchange_id = record(ledger, ANDERSSON, "Andersson")
    exchange = ledger.get(exchange_id)
    assert exchange.request == query(ANDERSSON)
    assert exchange.response == answer(ANDERSSON, "Andersson")
    for version in (2, 5):  # Translated, Responded
        raw = stored(ledger, exchange_id, version).state
        assert b"aes-256-gcm" in raw
        assert ANDERSSON.encode() not in raw and b"Andersson" not in raw


def test_events_carry_the_subject_reference_not_the_national_id(ledger: Ledger) -> None:
    """Translated and Responded name the person by a ds- reference, the same in both."""
    exchange_id = record(ledger, ANDERSSON, "Andersson")
    events = ledger.history(exchange_id)
    translated = next(e for e in events if isinstance(e, Exchange.Translated))
    responded = next(e for e in events if isinstance(e, Exchange.Responded))
    assert is_subject_ref(translated.data_subject)
    assert translated.data_subject == responded.data_subject == ledger.get(exchange_id).data_subject


def test_references_are_stable_per_region_and_differ_between_regions(
    keyring: SubjectKeyring, tmp_path: Path
) -> None:
    """One person maps to one reference in a region; another region's secret gives another."""
    other = SubjectKeyring(SqliteKeyStore(tmp_path / "other.sqlite3"), os.urandom(32))
    try:
        assert keyring.ref_for(ANDERSSON) == keyring.ref_for(f" {ANDERSSON.lower()} ")
        assert keyring.ref_for(ANDERSSON) != keyring.ref_for(BRANDT)
        assert keyring.ref_for(ANDERSSON) != other.ref_for(ANDERSSON)
    finally:
        other.close()


def test_contracts_name_their_subject_field(keyring: SubjectKeyring) -> None:
    """Queries name national_id, a contribution history person.national_id."""
    ref = keyring.ref_for(ANDERSSON)
    assert keyring.ref_of(ContributionHistoryQuery.model_validate(query(ANDERSSON))) == ref
    assert keyring.ref_of(ContributionHistory.model_validate(answer(ANDERSSON, "A"))) == ref
    clearance = TaxClearanceQuery(national_id=ANDERSSON, tax_year=2025)
    assert keyring.ref_of(clearance) == ref


def test_operator_may_name_a_subject_by_national_id_or_reference(keyring: SubjectKeyring) -> None:
    """resolve() maps a national id to its reference and keeps a reference as it is."""
    ref = keyring.ref_for(ANDERSSON)
    assert keyring.resolve(ANDERSSON) == ref
    assert keyring.resolve(ref) == ref
    with pytest.raises(SubjectError):
        keyring.resolve("  ")
    with pytest.raises(SubjectError, match="neither a national id"):
        keyring.resolve("1980-01-01 Andersson")


@pytest.mark.parametrize("lookalike", ["ßßßßß", "ıABCDE", "ﬁ2345", "ſ12345"])
def test_a_national_id_outside_ascii_is_refused_not_folded_into_another(
    keyring: SubjectKeyring, lookalike: str
) -> None:
    """Upper-casing folds these into ASCII ids ("ßßßßß" -> "SSSSSSSSSS"); such an id names
    nobody, so it must not name the holder of the folded one (nor forget them)."""
    folded = lookalike.upper()
    keyring.ref_for(folded)  # the folded one is a national id someone may hold
    with pytest.raises(SubjectError, match="neither a national id"):
        keyring.ref_for(lookalike)
    with pytest.raises(SubjectError, match="neither a national id"):
        keyring.resolve(lookalike)


def test_tampered_ciphertext_is_refused_naming_the_event_and_field(ledger: Ledger) -> None:
    """One flipped ciphertext byte makes reading fail with TamperedFieldError, not garbage."""
    exchange_id = record(ledger, ANDERSSON, "Andersson")
    event = stored(ledger, exchange_id, 2)
    state = json.loads(event.state)
    ct = bytearray(base64.b64decode(state["document"]["ct"]))
    ct[0] ^= 0x01
    state["document"]["ct"] = base64.b64encode(ct).decode()
    with pytest.raises(TamperedFieldError) as caught:
        ledger.mapper.to_domain_event(with_state(event, state))
    assert caught.value.field == "document"
    assert str(exchange_id) in caught.value.message and "v2" in caught.value.message


def test_ciphertext_copied_from_another_event_is_refused(ledger: Ledger) -> None:
    """A sealed document moved to another exchange, even of the same person, does not open."""
    first = record(ledger, ANDERSSON, "Andersson")
    second = record(ledger, ANDERSSON, "Andersson")
    source = json.loads(stored(ledger, first, 2).state)
    target_event = stored(ledger, second, 2)
    target = json.loads(target_event.state)
    target["document"] = source["document"]
    with pytest.raises(TamperedFieldError):
        ledger.mapper.to_domain_event(with_state(target_event, target))
    # ...and within one exchange, from the request into the answer.
    answer_event = stored(ledger, first, 5)
    moved = {**json.loads(answer_event.state), "document": source["document"]}
    with pytest.raises(TamperedFieldError):
        ledger.mapper.to_domain_event(with_state(answer_event, moved))


def test_envelope_relabelled_to_another_subject_is_refused(ledger: Ledger) -> None:
    """Changing the envelope's subject (to make it read as erased) is detected."""
    exchange_id = record(ledger, ANDERSSON, "Andersson")
    event = stored(ledger, exchange_id, 2)
    state = json.loads(event.state)
    state["document"]["subject"] = ledger.keyring.ref_for(BRANDT)
    with pytest.raises(TamperedFieldError):
        ledger.mapper.to_domain_event(with_state(event, state))


def test_forgotten_subject_reads_as_erased_and_the_exchange_still_replays(
    ledger: Ledger, keyring: SubjectKeyring
) -> None:
    """After forgetting, payloads read as erased markers; the lifecycle is intact."""
    exchange_id = record(ledger, ANDERSSON, "Andersson")
    ledger.record_completed(exchange_id, reply_digest="sha256:33", latency_ms=2.0)
    ref = keyring.ref_for(ANDERSSON)
    before = [e.state for e in ledger.recorder.select_events(exchange_id)]
    erasure = forget_subject(ledger, keyring, ref)
    exchange = ledger.get(exchange_id)
    assert exchange.status is Status.COMPLETED
    assert exchange.request == {"erased": True, "subject": ref}
    assert is_erased(exchange.response)
    assert [type(e).__name__ for e in ledger.history(exchange_id)][-1] == "Completed"
    assert [e.state for e in ledger.recorder.select_events(exchange_id)] == before
    assert keyring.describe(ref) is None
    assert [r.erasure_id for r in erasures_of(ledger, ref)] == [erasure.erasure_id]


def test_forgetting_one_subject_leaves_the_others_readable(
    ledger: Ledger, keyring: SubjectKeyring
) -> None:
    """Only the forgotten person's payloads become unreadable."""
    andersson = record(ledger, ANDERSSON, "Andersson")
    brandt = record(ledger, BRANDT, "Brandt")
    forget_subject(ledger, keyring, keyring.ref_for(ANDERSSON))
    assert is_erased(ledger.get(andersson).response)
    assert ledger.get(brandt).response == answer(BRANDT, "Brandt")


def test_the_erasure_record_holds_the_reference_only(
    ledger: Ledger, keyring: SubjectKeyring
) -> None:
    """SubjectForgotten stores the ds- reference and key ids, never the national id."""
    record(ledger, ANDERSSON, "Andersson")
    erasure = forget_subject(ledger, keyring, keyring.ref_for(ANDERSSON))
    (raw,) = ledger.recorder.select_events(erasure.erasure_id)
    assert ANDERSSON.encode() not in raw.state
    assert keyring.ref_for(ANDERSSON).encode() in raw.state
    assert erasure.key_ids and erasure.key_ids[0].encode() in raw.state


def test_a_subject_who_returns_after_being_forgotten_gets_a_new_key(
    ledger: Ledger, keyring: SubjectKeyring
) -> None:
    """New data about a forgotten person is readable; what was erased stays erased."""
    old = record(ledger, ANDERSSON, "Andersson")
    ref = keyring.ref_for(ANDERSSON)
    first_kid = keyring.describe(ref).kid  # type: ignore[union-attr]
    forget_subject(ledger, keyring, ref)
    new = record(ledger, ANDERSSON, "Andersson")
    assert keyring.describe(ref).kid != first_kid  # type: ignore[union-attr]
    assert is_erased(ledger.get(old).request)
    assert ledger.get(new).request == query(ANDERSSON)


def test_version_1_events_read_with_no_subject_and_their_document_as_stored(
    ledger: Ledger,
) -> None:
    """A Translated event stored before sealing existed is upcast (data_subject "") and read."""
    exchange_id = record(ledger, ANDERSSON, "Andersson")
    event = stored(ledger, exchange_id, 2)
    state = json.loads(event.state)
    del state["data_subject"], state["class_version"]
    state["document"] = query(ANDERSSON)
    old = ledger.mapper.to_domain_event(with_state(event, state))
    assert isinstance(old, Exchange.Translated)
    assert old.data_subject == "" and old.document == query(ANDERSSON)


def test_a_contract_without_a_subject_is_stored_as_it_is(ledger: Ledger) -> None:
    """No data subject declared: nothing is sealed and no key is made."""
    translation = Translation("x.statistics@1.0", {"count": 3}, "sha256:1", "north/x", "hub.x")
    exchange_id = ledger.record_accepted(ARRIVAL, translation)
    assert json.loads(stored(ledger, exchange_id, 2).state)["document"] == {"count": 3}
    assert ledger.get(exchange_id).request == {"count": 3}


def test_snapshots_seal_the_exchange_request_and_response(keyring: SubjectKeyring) -> None:
    """A snapshot of an exchange holds its payloads sealed, and reads back erased once forgotten."""
    ledger = Ledger({**POPO, "IS_SNAPSHOTTING_ENABLED": "y"}, keyring=keyring)
    exchange_id = record(ledger, ANDERSSON, "Andersson")
    ledger.take_snapshot(exchange_id)
    assert ledger.snapshots is not None
    (raw,) = ledger.snapshots.recorder.select_events(exchange_id)
    assert b"Andersson" not in raw.state and ANDERSSON.encode() not in raw.state
    (snapshot,) = ledger.snapshots.get(exchange_id)
    assert snapshot.state["response"] == answer(ANDERSSON, "Andersson")  # type: ignore[attr-defined]
    forget_subject(ledger, keyring, keyring.ref_for(ANDERSSON))
    (snapshot,) = ledger.snapshots.get(exchange_id)
    assert is_erased(snapshot.state["request"])  # type: ignore[attr-defined]
    assert is_erased(snapshot.state["response"])  # type: ignore[attr-defined]


def test_a_wrong_key_encryption_key_is_refused(tmp_path: Path) -> None:
    """Keys wrapped under one KEK cannot be opened under another: a clear error, not 'erased'."""
    first = SubjectKeyring(SqliteKeyStore(tmp_path / "k.sqlite3"), os.urandom(32))
    first.ref_for(ANDERSSON)
    first.close()
    second = SubjectKeyring(SqliteKeyStore(tmp_path / "k.sqlite3"), os.urandom(32))
    with pytest.raises(KeyEncryptionKeyError):
        second.check()
    second.close()


def test_kek_file_is_made_private_and_not_remade_over_existing_keys(tmp_path: Path) -> None:
    """The KEK file is created 0600; once keys exist, a lost KEK file is an error."""
    settings = HubSettings(data=tmp_path / "hub")
    open_keyring(settings).close()
    kek = tmp_path / "hub" / "keys" / "kek"
    assert stat.S_IMODE(kek.stat().st_mode) == 0o600
    kek.unlink()
    with pytest.raises(KeyEncryptionKeyError, match="missing"):
        open_keyring(settings)


def test_kek_from_settings_is_used_and_checked(tmp_path: Path) -> None:
    """HUB_KEK (base64) is used instead of a file; a malformed one is refused."""
    good = base64.b64encode(os.urandom(32)).decode()
    settings = HubSettings(data=tmp_path / "hub", kek=good)
    open_keyring(settings).close()
    assert not (tmp_path / "hub" / "keys" / "kek").exists()
    with pytest.raises(KeyEncryptionKeyError):
        open_keyring(HubSettings(data=tmp_path / "other", kek="bm90IDMyIGJ5dGVz"))


def test_a_sealed_reader_decodes_events_without_opening_them(ledger: Ledger) -> None:
    """sealed_reader reads the same store but leaves personal fields as envelopes."""
    exchange_id = record(ledger, ANDERSSON, "Andersson")
    event = sealed_reader(ledger.mapper).to_domain_event(stored(ledger, exchange_id, 2))
    assert isinstance(event, Exchange.Translated)
    assert event.document["enc"] == "aes-256-gcm" and event.data_subject
