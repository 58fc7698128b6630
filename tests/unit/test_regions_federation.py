"""The federation application end to end between regions, on the in-memory event store."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace

import pytest

from contracts import ContractRegistry, default_registry
from contracts.person import PersonIdentityV1_1
from federation.attestation import Attestation, sign_attestation
from federation.errors import ReceiptError, StatementError, UnknownKeyError
from federation.fingerprints import registry_fingerprint
from federation.jws import sign_statement
from federation.keys import KeyRing, b64url, b64url_decode
from federation.reasons import Outcome, Reason
from federation.trust import TrustList, publish_region_card, read_region_card, trust_all
from hub.domain.agreement import AgreementStatus
from hub.domain.recognition import Recognition
from hub.service_layer.federation import FederationApp

T0 = dt.datetime(2026, 4, 1, 8, 0, tzinfo=dt.UTC)
TAX = "tax.clearance@1.0"
PERSON = "person.identity@1.0"
CLEARANCE = {"national_id": "NO12345678", "tax_year": 2025, "status": "cleared",
             "outstanding_amount": "0.00", "currency": "EUR", "issued_on": "2026-03-01"}
PERSON_DOC = {"national_id": "NO12345678", "family_name": "Nordmann", "given_names": "Kari",
              "date_of_birth": "1980-05-17"}
SUBJECT = "ds-" + "1" * 32


@dataclass
class Clock:
    """A settable clock shared by every region of a test."""

    now: dt.datetime = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def _regions(
    clock: Clock, registries: dict[str, ContractRegistry] | None = None
) -> dict[str, FederationApp]:
    """north, south and east, each trusting the others, on in-memory stores."""
    registries = registries or {}
    names = ("north", "south", "east")
    rings = {name: KeyRing.generate(name, now=T0 - dt.timedelta(days=30)) for name in names}
    regs = {name: registries.get(name) or default_registry() for name in names}
    cards = [read_region_card(publish_region_card(rings[n], registry_fingerprint(regs[n]),
                                                  now=T0)) for n in names]
    trust = trust_all(cards, now=T0)
    return {n: FederationApp(keys=rings[n], trust=trust[n], registry=regs[n], clock=clock)
            for n in names}


def _agree(
    proposer: FederationApp, accepter: FederationApp, *, contracts: list[str],
    departments: list[str], accept: bool = True, days: int = 365,
) -> uuid.UUID:
    agreement_id, signed = proposer.propose_agreement(
        accepter=accepter.region, contracts=contracts, departments=departments,
        valid_from=T0 - dt.timedelta(days=1), valid_until=T0 + dt.timedelta(days=days))
    accepter.receive_proposal(signed, from_region=proposer.region)
    if accept:
        proposer.record_acceptance(accepter.accept_agreement(agreement_id),
                                   from_region=accepter.region)
    return agreement_id


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def regions(clock: Clock) -> dict[str, FederationApp]:
    apps = _regions(clock)
    _agree(apps["north"], apps["south"], contracts=[TAX], departments=["north/tax"])
    return apps


def _events(app: FederationApp, aggregate_id: uuid.UUID) -> list[str]:
    return [type(event).__name__ for event in app.events.get(aggregate_id)]


def test_a_record_is_recognised_and_both_sides_hold_the_evidence(
    regions: dict[str, FederationApp],
) -> None:
    """Issued+Attested in north; Opened+Recognised in south; the receipt recorded in north."""
    north, south = regions["north"], regions["south"]
    record_id, attestation = north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
    receipt = south.recognise(attestation, from_region="north")
    assert (receipt.outcome, receipt.reason, receipt.receiver) == (
        Outcome.RECOGNISED, None, "south")
    north.record_receipt(receipt.jws, from_region="south")
    assert _events(north, record_id) == ["Issued", "Attested", "ReceiptRecorded"]
    recognition = south.recognition_of("north", str(record_id))
    assert recognition is not None and recognition.is_recognised
    assert _events(south, recognition.id) == ["Opened", "Recognised"]
    recognised = list(south.events.get(recognition.id))[1]
    assert isinstance(recognised, Recognition.Recognised)
    assert (recognised.read_as, recognised.attestation) == (TAX, attestation)


def test_the_same_attestation_twice_is_recognised_once(regions: dict[str, FederationApp]) -> None:
    """The second presentation returns the original receipt, recorded as a replay."""
    north, south = regions["north"], regions["south"]
    _, attestation = north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
    first = south.recognise(attestation, from_region="north")
    again = south.recognise(attestation, from_region="north")
    assert again.jws == first.jws and again.replay and not first.replay
    assert south.recognition_counts() == {"recognised": 1, "refused": 0, "replayed": 1,
                                          "withdrawn": 0}
    assert north.record_receipt(first.jws, from_region="south").replay is False
    assert north.record_receipt(again.jws, from_region="south").replay is True


def test_a_batch_recognises_a_duplicate_once(regions: dict[str, FederationApp]) -> None:
    """recognise_many sees its own earlier decisions within the batch."""
    north, south = regions["north"], regions["south"]
    attestations = [north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)[1]
                    for _ in range(3)]
    receipts = south.recognise_many([(a, "north") for a in [*attestations, attestations[0]]])
    assert [r.outcome for r in receipts] == [Outcome.RECOGNISED] * 4
    assert [r.replay for r in receipts] == [False, False, False, True]
    assert south.recognition_counts()["recognised"] == 3


def test_another_attestation_of_a_recognised_record_is_refused_as_replayed(
    regions: dict[str, FederationApp], clock: Clock,
) -> None:
    """A record is recognised under one attestation; a second one for it is refused."""
    north, south = regions["north"], regions["south"]
    record_id, attestation = north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
    south.recognise(attestation, from_region="north")
    clock.advance(minutes=1)
    _, second = sign_attestation(north.keys, department="tax", record_id=str(record_id),
                                 contract=TAX, subject=SUBJECT,
                                 content_digest="sha256:" + "2" * 64, issued_at=clock.now)
    receipt = south.recognise(second, from_region="north")
    assert (receipt.outcome, receipt.reason) == (Outcome.REFUSED, Reason.REPLAYED)


def test_proposed_suspended_and_unscoped_agreements_refuse(clock: Clock) -> None:
    """Not accepted, suspended, or out of scope: each refusal names its own reason."""
    apps = _regions(clock)
    north, east = apps["north"], apps["east"]
    agreement_id = _agree(north, east, contracts=[TAX], departments=["north/tax"], accept=False)
    _, attestation = north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
    assert east.recognise(attestation, from_region="north").reason == (
        Reason.AGREEMENT_NOT_ACCEPTED)
    north.record_acceptance(east.accept_agreement(agreement_id), from_region="east")
    assert east.recognise(attestation, from_region="north").outcome is Outcome.RECOGNISED
    notice = east.suspend_agreement(agreement_id, "audit")
    assert north.receive_agreement_notice(notice, from_region="east").status is (
        AgreementStatus.SUSPENDED)
    _, second = north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
    assert east.recognise(second, from_region="north").reason == Reason.AGREEMENT_SUSPENDED
    east.resume_agreement(agreement_id, "audit done")
    assert east.recognise(second, from_region="north").outcome is Outcome.RECOGNISED
    _, other_department = north.issue_record("customs", TAX, CLEARANCE, subject=SUBJECT)
    _, other_contract = north.issue_record("tax", PERSON, PERSON_DOC, subject=SUBJECT)
    for attestation in (other_department, other_contract):
        assert east.recognise(attestation, from_region="north").reason == (
            Reason.OUT_OF_AGREEMENT)


def test_nothing_is_recognised_after_expiry_or_termination(
    regions: dict[str, FederationApp], clock: Clock,
) -> None:
    """An attestation past valid_until is expired; a terminated agreement covers nothing."""
    north, south = regions["north"], regions["south"]
    _, short = north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT,
                                  valid_until=T0 + dt.timedelta(hours=1))
    clock.advance(hours=2)
    assert south.recognise(short, from_region="north").reason == Reason.EXPIRED
    _, fresh = north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
    agreement = south.agreements()[0]
    north.receive_agreement_notice(south.terminate_agreement(agreement.id, "ended"),
                                   from_region="south")
    assert south.recognise(fresh, from_region="north").reason == Reason.OUT_OF_AGREEMENT


def test_old_keys_verify_until_their_end_but_sign_nothing_after_rotation(
    regions: dict[str, FederationApp], clock: Clock,
) -> None:
    """After a rotation, earlier attestations still verify; the old key's later ones do not."""
    north, south = regions["north"], regions["south"]
    _, before = north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
    old_key = north.keys.active
    clock.advance(days=1)
    north.keys.rotate(now=clock.now, verify_for=dt.timedelta(days=30))
    card = read_region_card(publish_region_card(north.keys, north.fingerprint, now=clock.now))
    south.trust = south.trust.with_peer(card, now=clock.now)
    _, after = north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
    assert south.recognise(before, from_region="north").outcome is Outcome.RECOGNISED
    assert south.recognise(after, from_region="north").outcome is Outcome.RECOGNISED
    late = Attestation("north", "tax", str(uuid.uuid4()), TAX, SUBJECT, "sha256:" + "3" * 64,
                       clock.now.replace(microsecond=0), clock.now.replace(microsecond=0)
                       + dt.timedelta(days=1), old_key.kid)
    forged = sign_statement(late.claims(), "interop-hub-attestation+jws", old_key)
    assert south.recognise(forged, from_region="north").reason == (
        Reason.KEY_NOT_VALID_AT_ISSUE_TIME)
    clock.advance(days=31)
    _, refreshed = north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
    assert south.recognise(refreshed, from_region="north").outcome is Outcome.RECOGNISED


def test_unknown_contract_versions_are_refused_or_read_as_a_later_minor(clock: Clock) -> None:
    """A version the receiver lacks is refused, unless it reads it as a later version."""
    only_v1_1 = ContractRegistry()
    only_v1_1.register(PersonIdentityV1_1)
    apps = _regions(clock, {"south": only_v1_1})
    north, south = apps["north"], apps["south"]
    _agree(north, south, contracts=[PERSON, TAX], departments=["north/population", "north/tax"])
    _, person = north.issue_record("population", PERSON, PERSON_DOC, subject=SUBJECT)
    _, tax = north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
    receipt = south.recognise(person, from_region="north")
    assert receipt.outcome is Outcome.RECOGNISED
    recognised = list(south.events.get(south.recognition_of("north", receipt.record_id).id))[1]
    assert recognised.read_as == "person.identity@1.1"
    refused = south.recognise(tax, from_region="north")
    assert (refused.reason, refused.detail) == (
        Reason.UNKNOWN_CONTRACT_VERSION,
        "this region neither knows tax.clearance@1.0 nor can upcast it")


def test_revocation_withdraws_the_recognition_and_refuses_it_afterwards(
    regions: dict[str, FederationApp],
) -> None:
    """Revoked in north: withdrawn in south, receipt recorded, re-presentation refused."""
    north, south = regions["north"], regions["south"]
    record_id, attestation = north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
    south.recognise(attestation, from_region="north")
    revocation = north.revoke(record_id, "issued in error")
    receipt = south.recognise_revocation(revocation, from_region="north")
    assert receipt.outcome is Outcome.WITHDRAWN and receipt.about == "revocation"
    assert south.recognise_revocation(revocation, from_region="north").jws == receipt.jws
    north.record_receipt(receipt.jws, from_region="south")
    assert _events(north, record_id)[-2:] == ["Revoked", "ReceiptRecorded"]
    assert south.recognise(attestation, from_region="north").reason == Reason.REVOKED
    recognition = south.recognition_of("north", str(record_id))
    assert recognition is not None and not recognition.is_recognised
    assert "RecognitionWithdrawn" in _events(south, recognition.id)


def test_a_revocation_that_arrives_first_is_noted(regions: dict[str, FederationApp]) -> None:
    """A revocation before the attestation is remembered; the attestation is then refused."""
    north, south = regions["north"], regions["south"]
    record_id, attestation = north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
    receipt = south.recognise_revocation(north.revoke(record_id, "withdrawn"),
                                         from_region="north")
    assert receipt.outcome is Outcome.NOTED
    assert south.recognise(attestation, from_region="north").reason == Reason.REVOKED


def test_statements_from_the_wrong_region_or_an_unknown_one_are_refused(clock: Clock) -> None:
    """Presented by another region: malformed; from a region not trusted: unknown key."""
    apps = _regions(clock)
    north, south = apps["north"], apps["south"]
    _agree(north, south, contracts=[TAX], departments=["north/tax"])
    _, attestation = north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
    assert south.recognise(attestation, from_region="east").reason == Reason.MALFORMED
    south.trust = TrustList.empty("south", now=T0)
    refused = south.recognise(attestation, from_region="north")
    assert (refused.reason, refused.issuer) == (Reason.UNKNOWN_KEY, "north")
    assert south.recognition_of("north", refused.record_id or "") is None


def test_receipts_are_verified_before_they_are_recorded(regions: dict[str, FederationApp]) -> None:
    """A receipt from the wrong region, or about another record, is not recorded."""
    north, south, east = regions["north"], regions["south"], regions["east"]
    _, attestation = north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
    receipt = south.recognise(attestation, from_region="north")
    with pytest.raises(UnknownKeyError):
        north.record_receipt(receipt.jws, from_region="east")
    stranger = replace(receipt, receiver="east", statement="sha256:" + "9" * 64)
    forged = sign_statement(stranger.claims(), "interop-hub-receipt+jws",
                            east.keys.active)
    with pytest.raises(StatementError, match="malformed"):
        north.record_receipt(forged, from_region="east")
    honest = sign_statement({**stranger.claims(), "kid": east.keys.active.kid},
                            "interop-hub-receipt+jws", east.keys.active)
    with pytest.raises(ReceiptError, match="not a statement this record sent"):
        north.record_receipt(honest, from_region="east")


def _tampered(compact: str) -> str:
    """The attestation with one claim changed after signing (its signature no longer fits)."""
    header, payload, signature = compact.split(".")
    claims = b64url_decode(payload).replace(b'"department":"tax"', b'"department":"tay"')
    return f"{header}.{b64url(claims)}.{signature}"


def test_one_bad_attestation_in_a_batch_is_refused_alone(
    regions: dict[str, FederationApp],
) -> None:
    """A tampered and a malformed attestation among good ones: each refused with its reason
    and recorded, every other one recognised, in one batch."""
    north, south = regions["north"], regions["south"]
    good = [north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)[1] for _ in range(3)]
    batch = [good[0], _tampered(good[1]), good[1], "not.a-statement", good[2]]
    receipts = south.recognise_many([(a, "north") for a in batch])
    assert [(r.outcome, r.reason) for r in receipts] == [
        (Outcome.RECOGNISED, None), (Outcome.REFUSED, Reason.BAD_SIGNATURE),
        (Outcome.RECOGNISED, None), (Outcome.REFUSED, Reason.MALFORMED),
        (Outcome.RECOGNISED, None)]
    assert south.recognition_counts() == {"recognised": 3, "refused": 2, "replayed": 0,
                                          "withdrawn": 0}


def test_a_second_attestation_of_a_record_in_the_same_batch_sees_the_first_decision(
    regions: dict[str, FederationApp], clock: Clock,
) -> None:
    """The record opened by the first attestation of a batch is built from its events for the
    second, which is refused as replayed; its history holds all three events in order."""
    north, south = regions["north"], regions["south"]
    record_id, first = north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
    clock.advance(seconds=1)
    _, second = sign_attestation(north.keys, department="tax", record_id=str(record_id),
                                 contract=TAX, subject=SUBJECT,
                                 content_digest="sha256:" + "2" * 64, issued_at=clock.now)
    receipts = south.recognise_many([(first, "north"), (second, "north"), (first, "north")])
    assert [(r.outcome, r.reason, r.replay) for r in receipts] == [
        (Outcome.RECOGNISED, None, False), (Outcome.REFUSED, Reason.REPLAYED, False),
        (Outcome.RECOGNISED, None, True)]
    recognition = south.recognition_of("north", str(record_id))
    assert recognition is not None and recognition.recognised == receipts[0].statement
    assert _events(south, recognition.id) == ["Opened", "Recognised", "RecognitionRefused",
                                              "Replayed"]


def test_a_record_first_refused_is_opened_with_its_refusal(clock: Clock) -> None:
    """An authentic attestation outside every agreement opens the record's recognition with
    RecognitionRefused (and its reason), as the aggregate's own command would."""
    apps = _regions(clock)
    north, south = apps["north"], apps["south"]
    record_id, attestation = north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
    receipt = south.recognise(attestation, from_region="north")
    assert (receipt.outcome, receipt.reason) == (Outcome.REFUSED, Reason.OUT_OF_AGREEMENT)
    recognition = south.recognition_of("north", str(record_id))
    assert recognition is not None and recognition.refusals == 1
    refused = list(south.events.get(recognition.id))[1]
    assert isinstance(refused, Recognition.RecognitionRefused)
    assert (refused.reason, refused.receipt) == ("out-of-agreement", receipt.jws)


def test_opened_with_records_what_the_aggregate_records() -> None:
    """Recognition.opened_with gives the constructor's and the command's events (ids,
    versions, topics, fields in the same order), and they build the same recognition."""
    fields = {"statement": "sha256:" + "a" * 64, "attestation": "a.b.c", "department": "tax",
              "contract": TAX, "read_as": TAX, "subject": SUBJECT,
              "content_digest": "sha256:" + "b" * 64, "issued_at": "2026-04-01T08:00:00Z",
              "valid_until": "2027-04-01T08:00:00Z", "kid": "k" * 43, "agreement_id": "a-1",
              "at": "2026-04-01T08:00:01Z", "receipt": "r.e.c"}
    built = Recognition(issuer="north", record_id="r-1")
    built.recognise(**fields)
    expected = built.collect_events()
    events = Recognition.opened_with("north", "r-1", Recognition.Recognised, **fields)

    def shape(event: object) -> tuple[type, list[tuple[str, object]]]:
        # In order: the order of an event's fields is the order they are stored in.
        return type(event), [(k, v) for k, v in vars(event).items() if k != "timestamp"]

    assert [shape(e) for e in events] == [shape(e) for e in expected]
    rebuilt = None
    for event in events:
        rebuilt = event.mutate(rebuilt)
    assert isinstance(rebuilt, Recognition)
    assert (rebuilt.id, rebuilt.version, rebuilt.recognised, rebuilt.receipts) == (
        built.id, built.version, built.recognised, built.receipts)


def test_a_much_replayed_record_is_still_snapshotted(regions: dict[str, FederationApp]) -> None:
    """Batches record their events directly; the snapshot rule (every 50 events of a
    recognition) still applies to them."""
    north, south = regions["north"], regions["south"]
    record_id, attestation = north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
    south.recognise_many([(attestation, "north")] * 30)
    south.recognise_many([(attestation, "north")] * 30)
    recognition = south.recognition_of("north", str(record_id))
    assert recognition is not None and recognition.version == 61
    assert south.snapshots is not None
    assert [s.originator_version for s in south.snapshots.get(recognition.id)] == [50]
