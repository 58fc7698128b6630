"""The Agreement aggregate: both signatures to accept, scope, validity, suspension, end."""

from __future__ import annotations

import datetime as dt

import pytest

from federation.errors import AgreementStateError, AgreementTermsError
from federation.reasons import Reason
from federation.terms import AgreementTerms
from hub.domain.agreement import Agreement, AgreementStatus

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
NOW = T0 + dt.timedelta(days=10)
CONTRACT = "social-security.contribution-history@1.0"


def _terms(**changes: object) -> AgreementTerms:
    fields: dict[str, object] = {
        "proposer": "north", "accepter": "south", "contracts": [CONTRACT],
        "departments": ["north/social-security", "south/social-security"],
        "valid_from": T0, "valid_until": T0 + dt.timedelta(days=365),
    }
    fields.update(changes)
    return AgreementTerms.new(**fields)  # type: ignore[arg-type]


def _proposed(terms: AgreementTerms | None = None) -> Agreement:
    terms = terms or _terms()
    agreement = Agreement(agreement_id=terms.agreement_id, terms=terms.claims(),
                          digest=terms.digest)
    agreement.sign("north", "kid-n", "jws-of-north")
    return agreement


def test_accepted_only_once_both_regions_have_signed() -> None:
    """One signature leaves it proposed; the second puts it in force and keeps both."""
    agreement = _proposed()
    assert agreement.status is AgreementStatus.PROPOSED
    assert agreement.refusal(CONTRACT, "north/social-security", NOW) == (
        Reason.AGREEMENT_NOT_ACCEPTED, f"agreement {agreement.id} awaits the acceptance of south")
    agreement.sign("south", "kid-s", "jws-of-south")
    assert agreement.status is AgreementStatus.ACCEPTED
    assert agreement.signatures == {"north": "jws-of-north", "south": "jws-of-south"}
    assert agreement.in_scope(CONTRACT, "north/social-security", NOW)
    names = [type(e).__name__ for e in agreement.collect_events()]
    assert names == ["Proposed", "AcceptanceSigned", "AcceptanceSigned", "Accepted"]


def test_only_parties_sign_and_each_only_once() -> None:
    """A third region cannot sign; a party cannot sign twice."""
    agreement = _proposed()
    with pytest.raises(AgreementStateError, match="not a party"):
        agreement.sign("east", "k", "s")
    with pytest.raises(AgreementStateError, match="already signed"):
        agreement.sign("north", "k", "s")


@pytest.mark.parametrize(
    ("contract", "department", "at", "reason"),
    [
        ("tax.clearance@1.0", "north/social-security", NOW, Reason.OUT_OF_AGREEMENT),
        ("social-security.contribution-history@2.0", "north/social-security", NOW,
         Reason.OUT_OF_AGREEMENT),
        (CONTRACT, "north/tax", NOW, Reason.OUT_OF_AGREEMENT),
        (CONTRACT, "north/social-security", T0 - dt.timedelta(seconds=1), Reason.OUT_OF_AGREEMENT),
        (CONTRACT, "north/social-security", T0 + dt.timedelta(days=365), Reason.OUT_OF_AGREEMENT),
        (CONTRACT, "south/social-security", NOW, None),
    ],
)
def test_scope_is_contract_version_department_and_validity(
    contract: str, department: str, at: dt.datetime, reason: Reason | None
) -> None:
    """Only listed contract versions from listed departments, within validity, are in scope."""
    agreement = _proposed()
    agreement.sign("south", "k", "s")
    refusal = agreement.refusal(contract, department, at)
    assert (refusal[0] if refusal else None) == reason
    assert agreement.in_scope(contract, department, at) is (reason is None)


def test_suspension_until_every_suspender_resumes_then_termination() -> None:
    """Suspended by both, resumed by one: still suspended; terminated: never in force again."""
    agreement = _proposed()
    agreement.sign("south", "k", "s")
    agreement.suspend("north", "audit", "n1")
    agreement.suspend("south", "audit", "s1")
    agreement.resume("north", "done", "n2")
    assert agreement.refusal(CONTRACT, "north/social-security", NOW)[0] is (  # type: ignore[index]
        Reason.AGREEMENT_SUSPENDED)
    agreement.resume("south", "done", "s2")
    assert agreement.in_scope(CONTRACT, "north/social-security", NOW)
    agreement.terminate("south", "law changed", "s3")
    assert agreement.refusal(CONTRACT, "north/social-security", NOW)[0] is (  # type: ignore[index]
        Reason.OUT_OF_AGREEMENT)
    with pytest.raises(AgreementStateError):
        agreement.resume("south", "again", "s4")


def test_a_proposal_cannot_be_suspended() -> None:
    """Suspension applies to an agreement in force."""
    with pytest.raises(AgreementStateError, match="proposed"):
        _proposed().suspend("north", "why", "n")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"accepter": "north"}, "accepter"),
        ({"departments": ["east/tax"]}, "departments"),
        ({"contracts": []}, "contracts"),
        ({"contracts": ["not a contract"]}, "contracts"),
        ({"valid_until": T0}, "valid_until"),
    ],
)
def test_inconsistent_terms_name_the_field(changes: dict[str, object], field: str) -> None:
    """Bad terms are refused with an AgreementTermsError naming the field."""
    with pytest.raises(AgreementTermsError) as caught:
        _terms(**changes)
    assert caught.value.field == field


def test_terms_are_canonical_and_reread_identically() -> None:
    """Terms sort their lists and read back from their claims to the same digest."""
    terms = _terms(contracts=["tax.clearance@1.0", CONTRACT, CONTRACT])
    assert terms.contracts == (CONTRACT, "tax.clearance@1.0")
    assert AgreementTerms.from_claims(terms.claims()).digest == terms.digest
