"""The access decision on an in-memory ledger: deny by default, purposes, consent, expiry."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from contracts import default_registry
from contracts.identity import ServiceId
from contracts.social_security import ContributionHistory, ContributionHistoryQuery
from hub.adapters.store.ledger import Ledger
from hub.bootstrap.security import access_policy
from hub.domain.consent import Consent, ConsentState
from hub.service_layer.exchanges.routing import ServiceDefinition, load_services
from hub.service_layer.security.decision import AccessPolicy
from hub.service_layer.security.purposes import Purpose, parse_purposes
from hub.service_layer.security.refusals import (
    AccessDeniedError,
    AccessError,
    AccessRevokedError,
    ConsentRequiredError,
    ConsentRevokedError,
    PurposeDefinitionError,
    PurposeNotGrantedError,
    PurposeRequiredError,
    UnknownPurposeError,
)

REF = "ds-" + "0" * 32
SERVICE = ServiceDefinition(
    id=ServiceId("north", "social-security", "contribution-history"),
    request=ContributionHistoryQuery, response=ContributionHistory, operation="CH",
    adapter="x", endpoint="x",
    purposes=(
        Purpose("benefit", ("person", "periods"), legal_basis="Act s. 1"),
        Purpose("loan", ("periods.start", "periods.end", "as_of"), consent=True),
    ),
)


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def policy(ledger: Ledger, clock: Clock) -> AccessPolicy:
    return access_policy(ledger, "north", clock=clock)


def test_deny_by_default_then_granted_then_revoked(policy: AccessPolicy) -> None:
    """No right: refused. Granted for a purpose: allowed with its legal basis and fields.
    Revoked: refused at ingress, and at delivery as access-revoked."""
    with pytest.raises(AccessDeniedError):
        policy.decide("north/tax", SERVICE, "benefit", REF)
    policy.rights.grant("tax", str(SERVICE.id), ["benefit"])
    decision = policy.decide("north/tax", SERVICE, "benefit", REF)
    assert (decision.basis, decision.legal_basis, decision.fields) == (
        "legal-basis", "Act s. 1", ("person", "periods"))
    authorisation = {"purpose": "benefit", "basis": "legal-basis"}
    assert policy.recheck("north/tax", SERVICE, authorisation, REF) == decision
    policy.rights.revoke("north/tax", str(SERVICE.id), reason="audit")
    with pytest.raises(AccessDeniedError):
        policy.decide("north/tax", SERVICE, "benefit", REF)
    with pytest.raises(AccessRevokedError) as raised:
        policy.recheck("north/tax", SERVICE, authorisation, REF)
    assert raised.value.retryable is False
    policy.rights.grant("north/tax", str(SERVICE.id), ["benefit"])  # re-grant is allowed
    assert policy.decide("north/tax", SERVICE, "benefit", REF).purpose == "benefit"
    [right] = policy.rights.all()
    assert right.active and right.client == "north/tax"


def test_each_purpose_problem_has_its_own_code(policy: AccessPolicy) -> None:
    """Missing, undeclared and not-granted purposes are told apart, naming the header."""
    policy.rights.grant("north/tax", str(SERVICE.id), ["benefit"])
    with pytest.raises(PurposeRequiredError) as missing:
        policy.decide("north/tax", SERVICE, " ", REF)
    assert missing.value.issues[0].path == "header:X-Hub-Purpose"
    with pytest.raises(UnknownPurposeError) as unknown:
        policy.decide("north/tax", SERVICE, "gossip", REF, ingress="federation")
    assert unknown.value.issues[0].path == "header:Hub-Purpose"
    with pytest.raises(PurposeNotGrantedError):
        policy.decide("north/tax", SERVICE, "loan", REF)


def test_consent_is_required_narrows_and_expires(policy: AccessPolicy, clock: Clock) -> None:
    """A consent-bound purpose needs an active consent of that subject to that client; its
    fields narrow the purpose's; past its day the check records Expired and refuses."""
    policy.rights.grant("north/tax", str(SERVICE.id), ["loan"])
    with pytest.raises(ConsentRequiredError):
        policy.decide("north/tax", SERVICE, "loan", REF)
    consent = policy.consents.grant(REF, "loan", "north/tax", until=dt.date(2026, 6, 30),
                                    fields=["periods.start", "person"])
    decision = policy.decide("north/tax", SERVICE, "loan", REF)
    assert (decision.basis, decision.consent_id, decision.fields) == (
        "consent", str(consent.id), ("periods.start",))
    with pytest.raises(ConsentRequiredError):  # another subject, another recipient
        policy.decide("north/tax", SERVICE, "loan", "ds-" + "1" * 32)
    clock.now = dt.datetime(2026, 7, 1, 0, 0, 1, tzinfo=dt.UTC)
    with pytest.raises(ConsentRevokedError):
        policy.recheck("north/tax", SERVICE, {"purpose": "loan", "basis": "consent"}, REF)
    stored = policy.consents.get(REF, "loan", "north/tax")
    assert stored is not None and stored.state is ConsentState.EXPIRED
    assert isinstance(list(policy.rights._ledger.events.get(stored.id))[-1], Consent.Expired)


def test_consent_commands_refuse_what_makes_no_sense(policy: AccessPolicy) -> None:
    """A past date, an unknown recipient form, revoking nothing: each refused by name."""
    with pytest.raises(AccessError, match="in the past"):
        policy.consents.grant(REF, "loan", "north/tax", until=dt.date(2020, 1, 1))
    with pytest.raises(AccessError, match="no active consent"):
        policy.consents.revoke(REF, "loan", "north/tax")
    with pytest.raises(AccessError, match="nothing to revoke"):
        policy.rights.revoke("north/tax", str(SERVICE.id))


def test_a_peer_service_is_left_to_its_region(policy: AccessPolicy) -> None:
    """A service of another region: the purpose is recorded and forwarded, not decided here."""
    remote = ServiceDefinition(
        id=ServiceId("south", "tax", "t"), request=ContributionHistoryQuery,
        response=ContributionHistory, operation="T", adapter="x", endpoint="x")
    decision = policy.decide("north/tax", remote, "anything", REF)
    assert (decision.basis, decision.purpose) == ("remote", "anything")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"name": "p", "legal_basis": "Act", "fields": ["person.shoe_size"]},
         "unknown field path 'person.shoe_size'"),
        ({"name": "p", "fields": ["person"]}, "exactly one"),
        ({"name": "p", "legal_basis": "Act", "consent": True, "fields": ["person"]},
         "exactly one"),
        ({"name": "p", "consent": True, "fields": []}, "fields must list"),
        ({"legal_basis": "Act", "fields": ["person"]}, "lacks a name"),
    ],
)
def test_bad_purpose_declarations_are_refused(table: dict[str, object], message: str) -> None:
    """Each mistake in a [[service.purpose]] table is named with where it is."""
    with pytest.raises(PurposeDefinitionError, match=message) as raised:
        parse_purposes([table], ContributionHistory, where="services.toml: service s")
    assert "services.toml: service s" in raised.value.message


def test_load_services_names_file_service_purpose_and_path(tmp_path: Path) -> None:
    """An unknown field path in services.toml is refused at load, naming all four."""
    path = tmp_path / "services.toml"
    path.write_text(
        '[[service]]\nid = "north/social-security/contribution-history"\n'
        'request = "social-security.contribution-history-query@1.0"\n'
        'response = "social-security.contribution-history@1.0"\n'
        'operation = "CH"\nadapter = "soap-mapping"\nendpoint = "http://x"\n\n'
        '[[service.purpose]]\nname = "benefit"\nlegal_basis = "Act"\n'
        'fields = ["periods.employer_nam"]\n')
    with pytest.raises(PurposeDefinitionError) as raised:
        load_services(path, default_registry())
    text = raised.value.message
    assert str(path) in text and "north/social-security/contribution-history" in text
    assert "purpose benefit" in text and "'periods.employer_nam'" in text


def test_purposes_survive_dump_and_load(tmp_path: Path) -> None:
    """dump_services writes [[service.purpose]] tables load_services reads back unchanged."""
    from hub.service_layer.exchanges.routing import dump_services
    from simulations.departments import DepartmentEndpoints, region_services

    services = region_services("north", DepartmentEndpoints("http://ss?wsdl", "http://tax"))
    path = tmp_path / "services.toml"
    path.write_text(dump_services(services))
    loaded = load_services(path, default_registry())
    assert [s.purposes for s in loaded] == [s.purposes for s in services]


def test_the_directory_refuses_purposes_built_in_code_with_unknown_paths() -> None:
    """A purpose declared in Python is checked like one read from services.toml."""
    from dataclasses import replace

    from hub.service_layer.exchanges.routing import ServiceDirectory

    bad = replace(SERVICE, purposes=(Purpose("p", ("periods.salary",), legal_basis="Act"),))
    with pytest.raises(PurposeDefinitionError, match=r"'periods\.salary'"):
        ServiceDirectory("north", [bad])


def test_refusals_say_what_to_do_next(policy: AccessPolicy) -> None:
    """purpose-required names the header to send and an example; access-denied the exact
    `access grant` command; consent-required the `consent grant` command; a service that
    declares no purpose tells the operator to declare one in services.toml."""
    with pytest.raises(AccessDeniedError) as denied:
        policy.decide("north/tax", SERVICE, "benefit", REF)
    assert ("`interop-hub access grant north/tax north/social-security/contribution-history "
            "--purpose benefit --data DIR`") in denied.value.message
    policy.rights.grant("north/tax", str(SERVICE.id), ["benefit", "loan"])
    with pytest.raises(PurposeRequiredError) as missing:
        policy.decide("north/tax", SERVICE, "", REF)
    assert "`X-Hub-Purpose: benefit`" in missing.value.message
    with pytest.raises(ConsentRequiredError) as consent:
        policy.decide("north/tax", SERVICE, "loan", REF)
    assert ("`interop-hub consent grant NATIONAL_ID --purpose loan --recipient north/tax "
            "--until YYYY-MM-DD --data DIR`") in consent.value.message
    bare = ServiceDefinition(id=SERVICE.id, request=ContributionHistoryQuery,
                             response=ContributionHistory, operation="CH", adapter="x",
                             endpoint="x")
    for purpose in ("", "benefit"):
        with pytest.raises(AccessError) as undeclared:
            policy.decide("north/tax", bare, purpose, REF)
        assert "[[service.purpose]]" in undeclared.value.message
