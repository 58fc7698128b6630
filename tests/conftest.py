"""Shared fixtures: real nats-server processes, real PostgreSQL databases, hub settings."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from hub.adapters.crypto.keystore import KeyStore
from hub.adapters.crypto.keystore_selection import open_key_store
from hub.adapters.nats.server import NatsServerConfig, NatsServerProcess
from hub.adapters.store.ledger import Ledger
from hub.bootstrap.privacy import build_ledger
from hub.settings import HubSettings

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
SHARED = Path(__file__).resolve().parents[2] / "shared"


def running_under_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _postgres_reachable() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """Each test starts from the suite's logging: a command run in-process (typer's CliRunner)
    configures logging for its whole process, e.g. warnings only, which would otherwise hide
    the info lines later tests capture."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServerProcess]:
    """A real nats-server with JetStream on a free loopback port, for one test."""
    server = NatsServerProcess(NatsServerConfig(name="test", workdir=tmp_path / "nats"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database on the machine's server, dropped afterwards.

    Skips when no server listens on 127.0.0.1:5432 — except under CI=true, where
    a missing server is a failure.
    """
    if not _postgres_reachable():
        if running_under_ci():
            pytest.fail("PostgreSQL on 127.0.0.1:5432 is required under CI=true")
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    import psycopg

    name = f"hub_test_{uuid.uuid4().hex[:12]}"
    admin = f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str | None:
    """Each event store back end in turn: None (SQLite in the data folder), then a fresh
    PostgreSQL database; what ``HUB_STORE`` would hold."""
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def key_store(store_url: str | None, tmp_path: Path) -> Iterator[KeyStore]:
    """The key store the hub opens beside each event store back end (``HUB_KEY_STORE`` unset):
    a SQLite file in the data folder, or schema ``hub_privacy`` of the PostgreSQL database."""
    store = open_key_store(None, store_url, tmp_path / "hub")
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    """A ledger built as every entry point builds it (its keyring seals personal fields),
    over a SQLite store and key store in the test's temporary folder."""
    built = build_ledger(HubSettings(data=tmp_path))
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def store_ledger(store_url: str | None, tmp_path: Path) -> Iterator[Ledger]:
    """The same over each event store back end in turn (data folder ``tmp_path / "hub"``,
    where :func:`key_store` opens the key store too)."""
    built = build_ledger(HubSettings(data=tmp_path / "hub", store=store_url))
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def hub_settings(tmp_path: Path) -> HubSettings:
    """Settings for a hub whose data lives in the test's temporary folder."""
    return HubSettings(
        data=tmp_path / "hub", reply_timeout_s=20, retry_backoff_s=0.05, log_format="json"
    )


@pytest.fixture
def shared_external() -> Path:
    """../shared/external (others' WSDL/XSD files); skips where absent, never under CI."""
    path = SHARED / "external"
    if not path.is_dir():
        if running_under_ci():
            pytest.fail(f"{path} is required under CI=true")
        pytest.skip(f"{path} not present (clone outside the workspace)")
    return path
