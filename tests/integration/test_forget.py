"""Forgetting a data subject on real stores (SQLite, PostgreSQL) and through a running region."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from hub.adapters.crypto.envelope import is_erased
from hub.adapters.crypto.keyring import SubjectKeyring
from hub.adapters.store.ledger import Arrival, Ledger, Translation
from hub.bootstrap.privacy import build_ledger
from hub.entrypoints.serve import Hub
from hub.service_layer.privacy.erasure import forget_subject
from hub.settings import HubSettings
from tests.integration.hub_fixtures import auth_headers, running_region

CLI = str(Path(sys.executable).parent / "interop-hub")
SS = "north/social-security/contribution-history"
# Seeded in the emulated social-security bureau.
ANDERSSON, BRANDT = "19800101-1234", "19751224-5678"
HISTORY = "social-security.contribution-history@1.0"
ARRIVAL = Arrival("north/tax", SS, "c-1", "json", "sha256:00", 42, "_hub.north.reply.x")


def _query(national_id: str) -> dict[str, str]:
    return {"national_id": national_id, "period_start": "2000-01-01", "period_end": "2026-12-31"}


def _answer(national_id: str, family_name: str) -> dict[str, object]:
    person = {
        "national_id": national_id,
        "family_name": family_name,
        "given_names": "Maria Elena",
        "date_of_birth": "1980-01-01",
    }
    return {"person": person, "periods": [], "as_of": "2026-01-01"}


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> HubSettings:
    """Hub settings on each event store back end (keys beside the events)."""
    store = None if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    return HubSettings(
        data=tmp_path / "hub",
        store=store,
        reply_timeout_s=20,
        retry_backoff_s=0.05,
        log_format="json",
    )


def stored_rows(settings: HubSettings) -> list[tuple[str, int, str, bytes]]:
    """Every stored event row, read directly from the database (as the audit log reads it)."""
    if settings.store is None:
        with sqlite3.connect(settings.data / "ledger.sqlite3") as db:
            rows = db.execute(
                "SELECT originator_id, originator_version, topic, state FROM stored_events "
                "ORDER BY rowid"
            ).fetchall()
        return [(str(r[0]), r[1], r[2], bytes(r[3])) for r in rows]
    import psycopg

    with psycopg.connect(settings.store) as conn:
        rows = conn.execute(
            "SELECT originator_id, originator_version, topic, state FROM ledger_events "
            "ORDER BY notification_id"
        ).fetchall()
    return [(str(r[0]), r[1], r[2], bytes(r[3])) for r in rows]


def row_digests(settings: HubSettings) -> list[str]:
    return [
        hashlib.sha256(f"{oid}|{version}|{topic}|".encode() + state).hexdigest()
        for oid, version, topic, state in stored_rows(settings)
    ]


def raw_store_bytes(settings: HubSettings) -> bytes:
    """The event store's bytes: the SQLite file and its WAL, or the PostgreSQL table's rows."""
    if settings.store is None:
        files = settings.data.glob("ledger.sqlite3*")
        return b"".join(path.read_bytes() for path in files)
    return b"".join(
        b"|".join(str(part).encode() for part in row[:3]) + row[3] for row in stored_rows(settings)
    )


def record(ledger: Ledger, national_id: str, family_name: str) -> UUID:
    translation = Translation(
        "social-security.contribution-history-query@1.0",
        _query(national_id),
        "sha256:1",
        "north/social-security",
        "hub.north.deliver.x",
        data_subject=ledger.keyring.ref_for(national_id),
    )
    exchange_id = ledger.record_accepted(ARRIVAL, translation)
    ledger.record_response(
        exchange_id,
        attempt=1,
        contract=HISTORY,
        document=_answer(national_id, family_name),
        digest="sha256:2",
        provider_ms=1.0,
    )
    ledger.record_completed(exchange_id, reply_digest="sha256:3", latency_ms=2.0)
    return exchange_id


# The key store itself (first key kept, one subject deleted, scrubbing): the shared port
# suite, tests/ports/test_key_store.py. Here: the ledger and the hub on each store.


def test_personal_data_is_not_stored_in_the_clear(settings: HubSettings) -> None:
    """Neither names nor national ids appear in the event store's bytes; keys are elsewhere."""
    ledger = build_ledger(settings)
    try:
        record(ledger, ANDERSSON, "Andersson")
        record(ledger, BRANDT, "Brandt")
        assert ledger.get(ledger.exchange_ids().__next__()).response is not None
    finally:
        ledger.close()
    raw = raw_store_bytes(settings)
    assert b"aes-256-gcm" in raw
    for secret in (b"Andersson", b"Brandt", ANDERSSON.encode(), BRANDT.encode(), b"Maria"):
        assert secret not in raw


def test_forgetting_rewrites_no_stored_row_and_erases_one_person(settings: HubSettings) -> None:
    """Forget: every existing row is byte-identical, that person reads erased, others intact."""
    ledger = build_ledger(settings)
    try:
        andersson = record(ledger, ANDERSSON, "Andersson")
        brandt = record(ledger, BRANDT, "Brandt")
        before = row_digests(settings)
        keyring: SubjectKeyring = ledger.keyring  # type: ignore[assignment]
        forget_subject(ledger, keyring, keyring.ref_for(ANDERSSON))
        after = row_digests(settings)
        assert after[: len(before)] == before  # the audit log's leaves are unchanged
        assert len(after) == len(before) + 1  # plus SubjectForgotten
        assert is_erased(ledger.get(andersson).request)
        assert is_erased(ledger.get(andersson).response)
        assert ledger.get(brandt).response == _answer(BRANDT, "Brandt")
    finally:
        ledger.close()
    # A new process (a restarted hub, the CLI) sees the same.
    reopened = build_ledger(settings)
    try:
        assert is_erased(reopened.get(andersson).response)
        assert reopened.get(brandt).request == _query(BRANDT)
    finally:
        reopened.close()


# --- end to end: a running region, the real command line -------------------------------


def _cli(settings: HubSettings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUB_LOG_FORMAT": "json"}
    env.pop("HUB_STORE", None)
    if settings.store:
        env["HUB_STORE"] = settings.store
    return subprocess.run(
        [CLI, *args, "--data", str(settings.data)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


async def _ask(hub: Hub, national_id: str) -> tuple[str, dict[str, object]]:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            f"{hub.http_url}/services/{SS}",
            content=json.dumps(_query(national_id)).encode(),
            headers=auth_headers(hub, "north/tax", **{"Content-Type": "application/json"}),
        )
    assert response.status_code == 200, response.text
    return response.headers["X-Exchange-Id"], response.json()


def _documents_shown(settings: HubSettings, exchange_id: str) -> list[dict[str, object]]:
    shown = _cli(settings, "exchanges", "show", exchange_id)
    assert shown.returncode == 0, shown.stderr
    lines = [line.strip() for line in shown.stdout.splitlines()]
    return [
        json.loads(line.removeprefix("document: "))
        for line in lines
        if line.startswith("document: ")
    ]


async def test_forget_end_to_end_through_a_running_region(settings: HubSettings) -> None:
    """Two persons asked, one forgotten by the CLI: only theirs reads erased; audit verifies."""
    async with running_region(settings) as region:
        andersson, body = await _ask(region.hub, ANDERSSON)
        assert body["person"]["family_name"] == "Andersson"  # type: ignore[index]
        brandt, _ = await _ask(region.hub, BRANDT)

        signed = _cli(settings, "audit", "checkpoint")
        assert signed.returncode == 0, signed.stdout + signed.stderr
        forgot = _cli(settings, "subject", "forget", ANDERSSON, "--yes")
        assert forgot.returncode == 0, forgot.stderr
        ref = forgot.stdout.split("forgot subject ")[1].split()[0]

        # Request and answer, each naming its retention scope (the demo purposes state one).
        erased = _documents_shown(settings, andersson)
        assert len(erased) == 2 and all(is_erased(d) and d["subject"] == ref for d in erased)
        assert _documents_shown(settings, brandt) == []  # readable, so shown by digest only
        verified = _cli(settings, "audit", "verify")  # leaves cover the stored ciphertext
        assert verified.returncode == 0, verified.stdout + verified.stderr
        shown = _cli(settings, "subject", "show", ref)
        assert "key: none" in shown.stdout and "erased" in shown.stdout

        # The running hub keeps serving: a new query about her gets a new key and an answer.
        again, body = await _ask(region.hub, ANDERSSON)
        assert body["person"]["family_name"] == "Andersson"  # type: ignore[index]
        assert region.hub.ledger.get(UUID(again)).request == _query(ANDERSSON)
        assert is_erased(region.hub.ledger.get(UUID(andersson)).request)
    raw = raw_store_bytes(settings)
    assert b"Andersson" not in raw and ANDERSSON.encode() not in raw


def test_forget_asks_first_and_does_nothing_when_declined(tmp_path: Path) -> None:
    """Without --yes, `subject forget` asks; answering no destroys nothing and records nothing."""
    from typer.testing import CliRunner

    from hub.entrypoints.cli.main import app

    settings = HubSettings(data=tmp_path / "hub")
    ledger = build_ledger(settings)
    record(ledger, ANDERSSON, "Andersson")
    ledger.close()
    runner = CliRunner()
    declined = runner.invoke(
        app, ["subject", "forget", ANDERSSON, "--data", str(settings.data)], input="n\n"
    )
    assert declined.exit_code == 1
    shown = runner.invoke(app, ["subject", "show", ANDERSSON, "--data", str(settings.data)])
    assert shown.exit_code == 0, shown.output
    assert "key: k-" in shown.output and "erasures: none" in shown.output
    bad = runner.invoke(app, ["subject", "show", "no such person", "--data", str(settings.data)])
    assert bad.exit_code != 0 and "neither a national id" in str(bad.exception)
