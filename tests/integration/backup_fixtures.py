"""A region's data folder with events and signed checkpoints, made without a running hub,
the backup key a test seals with, and an empty PostgreSQL database to restore into."""

from __future__ import annotations

import base64
import datetime as dt
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hub.bootstrap.privacy import build_ledger
from hub.domain.credential import CredentialKind
from hub.service_layer.audit import Auditor, claim_region
from hub.service_layer.security.credentials import CredentialService
from hub.settings import HubSettings
from tests.conftest import PG_HOST, PG_PORT, PG_USER


def backup_key(folder: Path) -> Path:
    """A new backup key file (base64 of 32 random bytes) in ``folder``."""
    path = folder / "backup.key"
    path.write_text(base64.b64encode(os.urandom(32)).decode() + "\n", encoding="ascii")
    return path


def add_events(settings: HubSettings, departments: int, tag: str) -> None:
    """Record events in the region's ledger: one credential per department."""
    ledger = build_ledger(settings)
    try:
        credentials = CredentialService(ledger, settings.region)
        for i in range(departments):
            credentials.issue(f"{settings.region}/{tag}-{i}", CredentialKind.DEPARTMENT,
                              dt.timedelta(days=1))
    finally:
        ledger.close()


def region_folder(data: Path, *, store: str | None = None, rounds: int = 2,
                  per_round: int = 3) -> HubSettings:
    """A folder of region ``north`` with ``rounds`` signed checkpoints over growing events."""
    settings = HubSettings(data=data, region="north", store=store, log_format="json")
    data.mkdir(parents=True, exist_ok=True)
    claim_region(data, "north")
    for round_ in range(rounds):
        add_events(settings, per_round, f"dept{round_}")
        Auditor.from_settings(settings).checkpoint()
    return settings


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new, empty database on the test PostgreSQL server (its URL), dropped afterwards.
    Use beside the ``postgres_url`` fixture, which has skipped (or failed under CI) already
    when there is no server."""
    import psycopg

    name = f"hub_restore_{uuid.uuid4().hex[:12]}"
    admin = f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        drop_database(f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}")


def drop_database(url: str) -> None:
    """Drop the database at ``url`` (its connections closed by force): a lost database."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
