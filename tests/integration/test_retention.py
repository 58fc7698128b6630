"""Retention enforced on real stores (SQLite, PostgreSQL): expiry destroys exactly the keys of
buckets that are over, is recorded, leaves the audit log verifiable, shows in the data-use
report; forgetting destroys every key of a subject; a run is idempotent and resumable.

Time is moved through the enforcer's clock, the one production passes (``utc_now``):
exchanges are sealed now, and the enforcer is asked what has expired some months later.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from dataclasses import replace
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from typer.testing import CliRunner, Result

from hub.adapters.crypto.envelope import is_erased
from hub.adapters.crypto.errors import KeyEncryptionKeyError, KeyStoreError
from hub.adapters.projections.data_use_book import open_data_uses
from hub.adapters.store.ledger import Arrival, Ledger, Translation
from hub.bootstrap.privacy import build_ledger
from hub.domain.exchange import Exchange
from hub.domain.retention import KeyScope, bucket_end, expiry_bucket
from hub.entrypoints.cli.main import app
from hub.entrypoints.serve import Hub
from hub.service_layer.privacy.erasure import forget_subject
from hub.service_layer.privacy.retention import RetentionEnforcer, RetentionExpiry, utc_now
from hub.service_layer.security.decision import Decision
from hub.service_layer.security.recording import record_authorised, record_disclosed_response
from hub.service_layer.security.report import data_use_report
from hub.settings import HubSettings
from hub.work import WORK
from tests.integration.hub_fixtures import auth_headers, running_region
from tests.waiting import wait_until_async

SS = "north/social-security/contribution-history"
HISTORY = "social-security.contribution-history@1.0"
ANDERSSON, BRANDT = "19800101-1234", "19751224-5678"
FIELDS = ("person", "periods", "as_of")
SHORT = Decision("tax-assessment", "legal-basis", "Tax Act s. 5", fields=FIELDS, retention="P1M")
LONG = Decision("benefit-eligibility", "legal-basis", "SS Act s. 12", fields=FIELDS,
                retention="P5Y")
# P1M ends within 31 days, its bucket within 31 more: 70 days on, every P1M key is due.
LATER = dt.timedelta(days=70)


def _query(national_id: str) -> dict[str, str]:
    return {"national_id": national_id, "period_start": "2000-01-01", "period_end": "2026-12-31"}


def _answer(national_id: str) -> dict[str, Any]:
    person = {"national_id": national_id, "family_name": "Andersson",
              "given_names": "Maria", "date_of_birth": "1980-01-01"}
    return {"person": person, "periods": [], "as_of": "2026-01-01"}


def _translation(ledger: Ledger, national_id: str) -> Translation:
    return Translation(HISTORY, _query(national_id), "sha256:00", "north/social-security",
                       "hub.north.deliver.social-security", ledger.keyring.ref_for(national_id))


def _asked(ledger: Ledger, national_id: str, decision: Decision | None) -> UUID:
    """One answered exchange about ``national_id``, recorded as the hub records it: under
    ``decision`` (its purpose's retention), or with none (a subscriber's notification)."""
    arrival = Arrival("north/tax", SS, "c-1", "json", "sha256:00", 42, "")
    if decision is None:
        exchange_id = ledger.record_accepted(arrival, _translation(ledger, national_id))
        ledger.record_response(exchange_id, attempt=1, contract=HISTORY,
                               document=_answer(national_id), digest="sha256:01", provider_ms=1)
        return exchange_id
    exchange_id = record_authorised(ledger, arrival, _translation(ledger, national_id), decision)
    record_disclosed_response(ledger, exchange_id, decision, attempt=1, contract=HISTORY,
                              document=_answer(national_id), digest="sha256:01", provider_ms=1)
    return exchange_id


def _expiries(ledger: Ledger) -> list[RetentionExpiry.RetentionExpired]:
    topics = (RetentionExpiry.RetentionExpired.TOPIC,)
    return [ledger.mapper.to_domain_event(n)  # type: ignore[misc]
            for n in ledger.notifications(1, 1000, topics)]


def _enforcer(ledger: Ledger, later: dt.timedelta = LATER, **kw: Any) -> RetentionEnforcer:
    return RetentionEnforcer(ledger, ledger.keyring, clock=lambda: utc_now() + later, **kw)


def _cli(data: Path, store_url: str | None, *args: str) -> Result:
    return CliRunner().invoke(app, [*args, "--data", str(data)],
                              env={"HUB_STORE": store_url, "HUB_LOG_FORMAT": "json"})


def test_expiry_makes_exactly_the_expired_payloads_unreadable(
    store_ledger: Ledger, store_url: str | None, tmp_path: Path
) -> None:
    """Andersson asked for a one-month and a five-year purpose and once without a period,
    Brandt for the one-month one. Seventy days on, the enforcer destroys the two one-month
    keys: those requests and answers read as erased markers naming purpose and bucket; the
    rest still reads. Each key's expiry is recorded once, without personal data; a second
    run does nothing; the audit log still verifies; the report says until when each use is
    kept."""
    ledger = store_ledger
    short = _asked(ledger, ANDERSSON, SHORT)
    long_ = _asked(ledger, ANDERSSON, LONG)
    forever = _asked(ledger, ANDERSSON, None)
    brandt = _asked(ledger, BRANDT, SHORT)
    andersson_ref, brandt_ref = (ledger.keyring.ref_for(n) for n in (ANDERSSON, BRANDT))
    assert _cli(tmp_path / "hub", store_url, "audit", "checkpoint").exit_code == 0

    expired = _enforcer(ledger).run_once()

    bucket = expiry_bucket(ledger.get(short).created_on, "P1M")
    assert sorted((e.subject, e.purpose, e.bucket) for e in expired) == sorted(
        [(andersson_ref, "tax-assessment", bucket), (brandt_ref, "tax-assessment", bucket)])
    for exchange_id in (short, brandt):
        exchange = ledger.get(exchange_id)
        for payload in (exchange.request, exchange.response):
            assert is_erased(payload)
            assert payload["purpose"] == "tax-assessment" and payload["bucket"] == bucket
    assert ledger.get(long_).response == _answer(ANDERSSON)
    assert ledger.get(forever).request == _query(ANDERSSON)

    recorded = _expiries(ledger)
    assert sorted(e.key_id for e in recorded) == sorted(e.key_id for e in expired)
    assert all(e.expired_at == bucket_end(bucket).isoformat() for e in recorded)
    assert not any(ANDERSSON in str(vars(e)) or BRANDT in str(vars(e)) for e in recorded)
    assert _enforcer(ledger).run_once() == []
    assert len(_expiries(ledger)) == 2

    verified = _cli(tmp_path / "hub", store_url, "audit", "verify")
    assert verified.exit_code == 0, verified.output

    book = open_data_uses(ledger, store_url, tmp_path / "hub")
    try:
        uses = {UUID(u.exchange_id): u for u in data_use_report(book, andersson_ref)}
    finally:
        book.close()
    assert uses[short].kept_until == bucket_end(bucket)
    assert uses[short].retention == "P1M"
    assert uses[long_].kept_until == bucket_end(
        expiry_bucket(ledger.get(long_).created_on, "P5Y"))
    report = _cli(tmp_path / "hub", store_url, "subject", "report", ANDERSSON, "--json")
    assert report.exit_code == 0, report.output
    kept = {json.loads(line)["exchange_id"]: json.loads(line)["kept_until"]
            for line in report.output.splitlines()}
    assert kept[str(short)] == bucket_end(bucket).isoformat()


def test_forgetting_destroys_every_key_of_the_subject_across_purposes(
    store_ledger: Ledger,
) -> None:
    """A subject's own key and the keys of both their purposes all go with one forget (the
    erasure names them all); their data reads erased; another subject's does not."""
    ledger = store_ledger
    mine = [_asked(ledger, ANDERSSON, d) for d in (SHORT, LONG, None)]
    theirs = _asked(ledger, BRANDT, LONG)
    ref = ledger.keyring.ref_for(ANDERSSON)
    held = ledger.keyring.key_ids(ref)
    assert len(held) == 3

    erasure = forget_subject(ledger, ledger.keyring, ref)

    assert sorted(erasure.key_ids) == sorted(held)
    assert ledger.keyring.key_ids(ref) == []
    for exchange_id in mine:
        exchange = ledger.get(exchange_id)
        assert is_erased(exchange.request) and is_erased(exchange.response)
    assert ledger.get(theirs).response == _answer(BRANDT)
    assert [e.subject for e in _enforcer(ledger, dt.timedelta(days=3650)).run_once()] == [
        ledger.keyring.ref_for(BRANDT)]


class _FailingOnce:
    """A document store that is down for the first pass: what it was told, in order."""

    def __init__(self) -> None:
        self.told: list[tuple[str, str, str]] = []

    def on_expired(self, subject_ref: str, purpose: str, bucket: str) -> None:
        self.told.append((subject_ref, purpose, bucket))
        if len(self.told) == 1:
            raise OSError("object store unreachable")


def test_a_pass_that_fails_midway_is_completed_by_the_next_without_duplicates(
    store_ledger: Ledger,
) -> None:
    """The first pass records the expiry and then fails in a sink, before destroying the
    key: the data still reads, the key still waits in the index. The next pass tells the
    sink again, destroys the key, and records nothing twice."""
    ledger = store_ledger
    exchange_id = _asked(ledger, ANDERSSON, SHORT)
    sink = _FailingOnce()
    enforcer = _enforcer(ledger, sinks=[sink])

    with pytest.raises(OSError, match="unreachable"):
        enforcer.run_once()
    assert len(_expiries(ledger)) == 1
    assert ledger.get(exchange_id).request == _query(ANDERSSON)

    expired = enforcer.run_once()

    assert [e.key_id for e in expired] == [e.key_id for e in _expiries(ledger)]
    assert sink.told == [sink.told[0]] * 2 and sink.told[0][1] == "tax-assessment"
    assert is_erased(ledger.get(exchange_id).request)
    assert enforcer.run_once() == []


def _sealed_long_ago(ledger: Ledger, national_id: str) -> UUID:
    """An exchange whose request was sealed in 2019 for a month: its key is long due."""
    ref = ledger.keyring.ref_for(national_id)
    exchange = ledger.receive(Arrival("north/tax", SS, "c-0", "json", "sha256:00", 1, ""))
    exchange.trigger_event(
        Exchange.Translated, timestamp=dt.datetime(2019, 12, 1, tzinfo=dt.UTC),
        contract=HISTORY, document=_query(national_id), digest="sha256:00", data_subject=ref,
        purpose="tax-assessment", retention="P1M")
    ledger.save(exchange)
    return exchange.id


def test_the_commands_show_what_expires_when_and_run_idempotently(tmp_path: Path) -> None:
    """``retention status`` lists the keys by purpose and bucket (a past one as due);
    ``retention run`` destroys the due key and says so; run again, it destroys nothing."""
    data = tmp_path / "hub"
    ledger = build_ledger(HubSettings(data=data))
    try:
        old = _sealed_long_ago(ledger, ANDERSSON)
        _asked(ledger, BRANDT, LONG)
        ref = ledger.keyring.ref_for(ANDERSSON)
    finally:
        ledger.close()

    status = _cli(data, None, "retention", "status", "--json")
    assert status.exit_code == 0, status.output
    scheduled = [json.loads(line)["scheduled"] for line in status.output.splitlines()]
    due = scheduled[0]
    assert (due["purpose"], due["bucket"], due["keys"], due["due"]) == (
        "tax-assessment", "2020-01", 1, True)
    assert [s["purpose"] for s in scheduled] == ["tax-assessment", "benefit-eligibility"]
    assert not scheduled[1]["due"]

    first = _cli(data, None, "retention", "run")
    assert first.exit_code == 0, first.output
    assert "1 key(s) destroyed" in first.output and ref in first.output
    again = _cli(data, None, "retention", "run", "--json")
    assert again.exit_code == 0 and again.stdout == ""  # logs go to stderr

    ledger = build_ledger(HubSettings(data=data))
    try:
        assert ledger.get(old).request == {
            "erased": True, "subject": ref, "purpose": "tax-assessment", "bucket": "2020-01"}
        assert ledger.keyring.schedule(10)[0].purpose == "benefit-eligibility"
        assert ledger.keyring.key_ids(ref) == []
    finally:
        ledger.close()


def test_a_scope_key_cannot_be_moved_to_outlive_its_bucket(store_ledger: Ledger) -> None:
    """A wrapped key is bound to its scope: relabelled to a later bucket in the key store,
    it no longer opens, so the data reads erased rather than surviving its period."""
    ledger = store_ledger
    exchange_id = _asked(ledger, ANDERSSON, SHORT)
    ref = ledger.keyring.ref_for(ANDERSSON)
    bucket = expiry_bucket(ledger.get(exchange_id).created_on, "P1M")
    stored = ledger.keyring.store.get_data_key(KeyScope(ref, "tax-assessment", bucket))
    assert stored is not None
    moved = KeyScope(ref, "tax-assessment", "2099-12")
    ledger.keyring.store.add_data_key(
        type(stored)(ref, "k-moved", stored.wrapped, stored.created_at, moved.purpose,
                     moved.bucket), moved.expires_at)
    with pytest.raises(KeyEncryptionKeyError, match="moved to another subject or retention"):
        ledger.keyring.decryption_key(ref, "k-moved", moved)


# --- through a running region: the enforcer is the hub's own background duty -------------


async def _ask_history(hub: Hub, national_id: str, purpose: str) -> str:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            f"{hub.http_url}/services/{SS}", content=json.dumps(_query(national_id)).encode(),
            headers=auth_headers(hub, "north/tax", **{"Content-Type": "application/json",
                                                       "X-Hub-Purpose": purpose}))
    assert response.status_code == 200, response.text
    return response.headers["X-Exchange-Id"]


async def test_the_running_hub_expires_due_keys_and_queries_read_one_key(
    hub_settings: HubSettings, store_url: str | None,
) -> None:
    """A key due since 2020 is destroyed by the hub's own retention duty soon after it
    starts (nothing else runs the enforcer here); queries for a purpose with a period are
    sealed under its scope and cost at most one key-store read each, as under one key per
    subject; years later, the enforcer (the hub's, at a later clock) expires them too."""
    settings = hub_settings.model_copy(update={"retention_interval_s": 0.2, "store": store_url})
    ledger = build_ledger(settings)
    try:
        old = _sealed_long_ago(ledger, BRANDT)
        brandt = ledger.keyring.ref_for(BRANDT)
    finally:
        ledger.close()
    async with running_region(settings) as region:
        hub = region.hub
        await wait_until_async(lambda: not hub.ledger.keyring.key_ids(brandt), timeout_s=10,
                               interval_s=0.05, message="the hub's retention duty ran")
        assert is_erased(hub.ledger.get(old).request)
        assert hub.supervisor.dead == []

        await _ask_history(hub, ANDERSSON, "benefit-eligibility")  # warm: tokens, keys
        before = WORK.snapshot().key_reads
        asked = [await _ask_history(hub, ANDERSSON, "benefit-eligibility") for _ in range(3)]
        assert WORK.snapshot().key_reads - before <= len(asked)
        exchange = hub.ledger.get(UUID(asked[0]))
        assert (exchange.purpose, exchange.retention) == ("benefit-eligibility", "P5Y")

        later = replace(hub.retention, clock=lambda: utc_now() + dt.timedelta(days=5 * 366 + 62))
        expired = await asyncio.to_thread(later.run_once)
        assert {e.purpose for e in expired} == {"benefit-eligibility"}
        assert all(is_erased(hub.ledger.get(UUID(i)).response) for i in asked)


class _Sink:
    """A document store stand-in for the hub's enforcer: fails as told, then records."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.told: list[tuple[str, str, str]] = []

    def on_expired(self, subject_ref: str, purpose: str, bucket: str) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.told.append((subject_ref, purpose, bucket))


def _due_key(hub: Hub, national_id: str) -> str:
    """A key of a bucket long over, made in the running hub's key store (as data sealed in
    2020 for a month would have made it)."""
    ref = hub.ledger.keyring.ref_for(national_id)
    return hub.ledger.keyring.encryption_key(ref, KeyScope(ref, "tax-assessment", "2020-01"))[0]


async def test_a_store_failure_is_retried_and_a_broken_duty_turns_health_503(
    hub_settings: HubSettings,
) -> None:
    """A pass failing on one of our errors (a sink's store unreachable) is retried at the
    next interval and the key goes then; a pass failing on anything else ends the duty,
    and /health names it, as for the hub's other background tasks."""
    settings = hub_settings.model_copy(update={"retention_interval_s": 0.1})
    async with running_region(settings) as region:
        hub = region.hub
        sink = _Sink(KeyStoreError("object store unreachable"))
        hub.retention.add_sink(sink)
        kid = _due_key(hub, ANDERSSON)
        await wait_until_async(lambda: bool(sink.told), timeout_s=10, interval_s=0.05,
                               message="the failed pass retried")
        ref = hub.ledger.keyring.ref_for(ANDERSSON)
        await wait_until_async(lambda: kid not in hub.ledger.keyring.key_ids(ref),
                               timeout_s=10, interval_s=0.05, message="the key destroyed")
        assert hub.supervisor.dead == []

        hub.retention.add_sink(_Sink(RuntimeError("a bug in a sink")))
        _due_key(hub, BRANDT)
        await wait_until_async(lambda: bool(hub.supervisor.dead), timeout_s=10,
                               interval_s=0.05, message="the retention duty's death recorded")
        async with httpx.AsyncClient(timeout=15) as http:
            health = await http.get(f"{hub.http_url}/health")
    assert health.status_code == 503, health.text
    assert "retention" in health.json()["checks"]["tasks"]["detail"]
    assert "a bug in a sink" in health.json()["checks"]["tasks"]["detail"]
