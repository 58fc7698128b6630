"""The engine holds a step that recognises another region's record until this region's
recognition accepts it: the relocation's insurance transfer, in process (real SQLite
ledger, the engine's ports answered by the test). Across two real regions, with the
federation deciding: tests/integration/test_case_recognition_regions.py."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from contracts import default_registry
from hub.adapters.nats.server import NatsServerConfig, NatsServerProcess, free_port
from hub.adapters.store.ledger import Ledger
from hub.bootstrap.privacy import build_ledger
from hub.service_layer.cases.engine import step_id
from hub.service_layer.cases.recognising import Asked, FederationRecognitions, Verdict
from hub.service_layer.federation.answers import answer_record_id
from hub.settings import HubSettings
from simulations.federation_scenarios import (
    CONTRIBUTIONS,
    HISTORY,
    federated_regions,
    subject_ref,
)
from tests.integration.cases_fixtures import Clock, Recognising, decided
from tests.integration.partition_helpers import south_reachable
from tests.integration.test_case_engine import (
    FRIDAY,
    RELOCATION,
    engine_for,
    relocation_departments,
)

TRANSFER = "south/social-security/insurance-transfer"
HISTORY_SERVICE = "north/social-security/contribution-history"


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    ledger = build_ledger(HubSettings(data=tmp_path, region="south"))
    yield ledger
    ledger.close()


async def test_the_transfer_waits_for_the_recognition_of_the_origin_record(ledger):
    """The origin's step is asked attested; the transfer is sent only after the record of
    its answer (named from south's exchange id) is recognised, which the case records."""
    departments, recognising = relocation_departments(), Recognising()
    engine = engine_for(ledger, Clock(FRIDAY), departments, recognising)
    case_id = await engine.submit("relocation@1.0", "south/portal", RELOCATION,
                                  {"proof-of-address": "doc-1"})
    asked = {r.step: r.attested for r in departments.received}
    assert asked == {"contribution-record": True, "insurance-transfer": False,
                     "tax-registration": False}
    case = await engine.advance(case_id)
    (question,) = recognising.asked
    origin_exchange = case.steps["contribution-record"]["exchange_id"]
    assert (question.step, question.origin, question.exchange_id) == (
        "contribution-record", "north", origin_exchange)
    assert question.answer == case.steps["contribution-record"]["answer"]
    record_id = str(answer_record_id("south", origin_exchange))
    assert case.steps["insurance-transfer"]["recognition"] == {
        "of": "contribution-record", "issuer": "north", "record_id": record_id,
        "outcome": "recognised", "code": "", "reason": ""}
    names = [type(e).__name__ for e in ledger.events.get(case_id)]
    assert names.index("StepRecognised") < names.index("StepSent", names.index("StepRecognised"))
    recognised = next(e for e in ledger.events.get(case_id)
                      if type(e).__name__ == "StepRecognised")
    assert (recognised.kid, recognised.agreement_id) == ("kid-1", "agreement-1")
    row = engine.board.get(case_id)
    assert row is not None
    assert row.step("insurance-transfer").recognition == case.steps["insurance-transfer"][
        "recognition"]


async def test_a_refused_recognition_leaves_the_transfer_unsent_with_the_reason(ledger):
    """Refused (here: the origin's key is not trusted): the transfer department receives
    nothing, the step fails with the named reason, the case stays open; a retry asks
    again and, once recognised, sends it."""
    departments, recognising = relocation_departments(), Recognising(code="unknown-key")
    engine = engine_for(ledger, Clock(FRIDAY), departments, recognising)
    case_id = await engine.submit("relocation@1.0", "south/portal", RELOCATION,
                                  {"proof-of-address": "doc-1"})
    assert departments.sent_to(TRANSFER) == []
    row = engine.board.get(case_id)
    assert row is not None and row.status == "open"
    transfer = row.step("insurance-transfer")
    assert transfer.state == "failed" and transfer.exchange_id == ""
    assert transfer.reason == "recognition-refused: unknown-key: the test refuses (unknown-key)"
    assert transfer.recognition is not None and transfer.recognition["outcome"] == "refused"
    assert transfer.recognition["code"] == "unknown-key"
    names = [type(e).__name__ for e in ledger.events.get(case_id)]
    assert "StepRecognitionRefused" in names
    # Nothing resumes it by itself, and a department cannot be sent it by a resume round.
    await engine.resume()
    assert departments.sent_to(TRANSFER) == []

    recognising.code = ""
    case = await engine.retry(step_id(case_id, "insurance-transfer"))
    assert len(departments.sent_to(TRANSFER)) == 1
    assert case.steps["insurance-transfer"]["state"] == "acknowledged"
    assert case.steps["insurance-transfer"]["recognition"]["outcome"] == "recognised"
    case = await engine.decide(step_id(case_id, "insurance-transfer"),
                               "south/social-security", decided("approved", "SS-1"))
    assert case.steps["insurance-transfer"]["state"] == "approved"


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[dict[str, NatsServerProcess]]:
    """north accepts south's leaf link; each its own JetStream domain."""
    port = free_port()
    started: dict[str, NatsServerProcess] = {}
    try:
        for name, remotes in (("north", []), ("south", [f"nats-leaf://127.0.0.1:{port}"])):
            started[name] = NatsServerProcess(NatsServerConfig(
                name, tmp_path / "nats" / name, jetstream_domain=name,
                leafnode_port=port if name == "north" else None, leaf_remotes=remotes))
            started[name].start()
        yield started
    finally:
        for server in reversed(started.values()):
            server.stop()


async def test_the_federation_verdict_checks_the_digest_and_revocation(
        tmp_path: Path, servers: dict[str, NatsServerProcess]) -> None:
    """South's federation decides north's record of an answer: accepted for the very
    answer, refused for another answer (digest), for another department's answer
    (issuer), and once north revoked the record; unknown records are not waited for
    beyond the bounded wait."""
    pairs = [(HubSettings(data=tmp_path / r, region=r, log_format="json"), servers[r].url)
             for r in ("north", "south")]
    async with federated_regions(pairs) as opened:
        north, south = opened["north"], opened["south"]
        await south_reachable(north)
        record_id = answer_record_id("south", "exchange-1")
        await north.link.issue("social-security", CONTRIBUTIONS, HISTORY,
                               subject_ref=subject_ref("x"), to=["south"], record_id=record_id)
        recognitions = FederationRecognitions(south.link, default_registry(), wait_s=10)
        impatient = FederationRecognitions(south.link, default_registry(), wait_s=0.3)

        def asked(answer: dict[str, object], service: str = HISTORY_SERVICE,
                  exchange_id: str = "exchange-1") -> Asked:
            return Asked("contribution-record", service, "south", exchange_id, answer)

        accepted = await recognitions.check(asked(HISTORY))
        other = {**HISTORY, "as_of": "2026-01-01"}
        tampered = await recognitions.check(asked(other))
        elsewhere = await recognitions.check(asked(HISTORY, "north/tax/contribution-history"))
        missing = await impatient.check(asked(HISTORY, exchange_id="exchange-2"))
        await north.link.revoke(record_id, "issued in error")
        revoked = await wait_for_code(recognitions, asked(HISTORY), "revoked")
    assert accepted.accepted and accepted.record_id == str(record_id)
    assert accepted.kid == north.federation.keys.active.kid and accepted.agreement_id
    assert (tampered.code, elsewhere.code, missing.code) == (
        "digest-mismatch", "wrong-issuer", "no-attestation")
    assert "issued in error" in revoked.reason


async def wait_for_code(recognitions: FederationRecognitions, asked: Asked,
                        code: str) -> Verdict:
    """The verdict once it is ``code`` (a revocation travels like an attestation)."""
    for _ in range(100):
        verdict = await recognitions.check(asked)
        if verdict.code == code:
            return verdict
        await asyncio.sleep(0.05)
    raise AssertionError(f"verdict still {verdict}")
