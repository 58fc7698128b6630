"""Secrets at rest and in logs: tokens and seeds are never logged nor stored in the clear;
``interop-hub keys rotate-kek`` re-wraps everything sealed under the KEK in one go."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import nats
import nats.errors
import pytest
from structlog.testing import capture_logs

from federation.errors import RegionKeyError
from federation.keys import KeyRing, region_keys_path
from hub.adapters.crypto.errors import KeyEncryptionKeyError
from hub.adapters.crypto.keyring import open_keyring
from hub.adapters.nats.accounts import hub_seed
from hub.bootstrap.federation import open_keys
from hub.bootstrap.privacy import build_ledger
from hub.domain.credential import CredentialKind
from hub.service_layer.security.credentials import CredentialService
from hub.settings import HubSettings
from tests.integration.hub_fixtures import PURPOSE, running_region
from tests.waiting import wait_until_async

SS = "north/social-security/contribution-history"
QUERY = {"national_id": "19800101-1234", "period_start": "2000-01-01", "period_end": "2026-12-31"}
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _new_kek(path: Path) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(os.urandom(32)).decode() + "\n")
    return path


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).parent / "interop-hub"), *args],
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "HUB_LOG_FORMAT": "json"})


def _raw_files(folder: Path) -> dict[Path, bytes]:
    """Every stored file of the data folder (SQLite databases and their WAL, configs, logs)."""
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_rotate_kek_rewraps_subject_keys_region_keys_credentials_and_the_nats_seed(
    tmp_path: Path,
) -> None:
    """After rotation every sealed value opens under the new KEK only; tokens still work."""
    settings = HubSettings(data=tmp_path / "hub")
    settings.data.mkdir()
    ledger = build_ledger(settings)
    service = CredentialService(ledger, "north")
    token = service.issue("north/tax", CredentialKind.DEPARTMENT, dt.timedelta(days=1)).token
    kid, subject_key = ledger.keyring.encryption_key("ds-someone")
    seed = hub_seed(ledger.keyring)
    ledger.close()
    region_public = [k.kid for k in open_keys(settings, now=NOW).keys]
    old_kek = (settings.data / "keys" / "kek").read_bytes()
    new_file = _new_kek(tmp_path / "new-kek")

    rotated = _cli("keys", "rotate-kek", "--new-kek-file", str(new_file),
                   "--data", str(settings.data))

    assert rotated.returncode == 0, rotated.stderr
    assert "region signing keys" in rotated.stdout
    assert (settings.data / "keys" / "kek").read_bytes() == new_file.read_bytes()
    assert (settings.data / "keys" / "kek").stat().st_mode & 0o777 == 0o600
    ledger = build_ledger(settings)
    try:
        assert ledger.keyring.decryption_key("ds-someone", kid) == subject_key
        assert hub_seed(ledger.keyring) == seed
        principal = CredentialService(ledger, "north").authenticate(f"Bearer {token}")
        assert principal.name == "north/tax"
    finally:
        ledger.close()
    assert [k.kid for k in open_keys(settings, now=NOW, create=False).keys] == region_public
    with pytest.raises(RegionKeyError):
        KeyRing.load(region_keys_path(settings.data), base64.b64decode(old_kek))
    (settings.data / "keys" / "kek").write_bytes(old_kek)
    with pytest.raises(KeyEncryptionKeyError):
        open_keyring(settings)


def test_rotate_kek_refuses_the_current_key(tmp_path: Path) -> None:
    """Rotating to the same key is refused with a clear error; nothing changes."""
    settings = HubSettings(data=tmp_path / "hub")
    settings.data.mkdir()
    build_ledger(settings).close()
    current = settings.data / "keys" / "kek"
    rotated = _cli("keys", "rotate-kek", "--new-kek-file", str(current),
                   "--data", str(settings.data))
    assert rotated.returncode == 2
    assert "holds the current key-encryption key" in rotated.stderr


async def test_tokens_and_seeds_appear_in_no_log_and_no_stored_file(
    hub_settings: HubSettings,
) -> None:
    """Start, issue, authenticate (HTTP and NATS): no token, secret or seed in logs or files."""
    settings = hub_settings.model_copy(update={"nats_users_refresh_s": 0.1})
    with capture_logs() as logs:
        async with running_region(settings) as region:
            hub = region.hub
            assert hub.credentials is not None
            issued = hub.credentials.issue("north/tax", CredentialKind.DEPARTMENT,
                                           dt.timedelta(hours=1))
            assert issued.nats_seed is not None
            async with httpx.AsyncClient(timeout=30) as http:
                ok = await http.post(f"{hub.http_url}/services/{SS}", json=QUERY,
                                     headers={"Authorization": f"Bearer {issued.token}",
                                              "X-Hub-Purpose": PURPOSE})
                wrong = await http.post(f"{hub.http_url}/services/{SS}", json=QUERY,
                                        headers={"Authorization": f"Bearer {issued.token}x"})
            assert (ok.status_code, wrong.status_code) == (200, 401)
            nats_seed = issued.nats_seed.decode()
            nc = await wait_until_async(  # once the server reloaded its users
                lambda: nats.connect(
                    hub.nats_url, nkeys_seed_str=nats_seed,
                    inbox_prefix="_INBOX_tax", connect_timeout=5, allow_reconnect=False),
                timeout_s=15, interval_s=0.1, ignoring=(nats.errors.Error, OSError),
                message="tax's NATS connection with its new seed")
            await nc.close()
            seed = hub_seed(hub.ledger.keyring)
    secrets = {
        "token": issued.token,
        "token secret": issued.token.split("_", 2)[2],
        "department seed": issued.nats_seed.decode(),
        "hub seed": seed,
    }
    logged = json.dumps(logs, default=str)
    assert all(value not in logged for value in secrets.values())
    assert all(value not in wrong.text for value in secrets.values())
    for path, content in _raw_files(hub_settings.data).items():
        for name, value in secrets.items():
            assert value.encode() not in content, f"{name} found in {path}"


def test_operators_log_in_with_the_same_totp_after_a_kek_rotation(tmp_path: Path) -> None:
    """The console's keys derive from a key-store secret the rotation re-wraps: an operator
    enrolled before ``keys rotate-kek`` logs in afterwards with the same authenticator app,
    and a session cookie issued before stays valid."""
    import pyotp

    from hub.bootstrap.operators import operator_directory

    settings = HubSettings(data=tmp_path / "hub")
    settings.data.mkdir()
    ledger = build_ledger(settings)
    try:
        directory = operator_directory(settings, ledger)
        enrolment = directory.enrol("ada", "operator", "a long enough passphrase", by="test")
        before = directory.login("ada", "a long enough passphrase",
                                 pyotp.TOTP(enrolment.totp_secret).now(), client="127.0.0.1")
        cookie = directory.secrets.cookie(before.id)
    finally:
        ledger.close()

    rotated = _cli("keys", "rotate-kek", "--new-kek-file", str(_new_kek(tmp_path / "new-kek")),
                   "--data", str(settings.data))
    assert rotated.returncode == 0, rotated.stderr

    ledger = build_ledger(settings)
    try:
        directory = operator_directory(settings, ledger)
        assert directory.session(directory.secrets.session_of(cookie)).operator == "ada"
        # the next time step's code (accepted for clock drift): never the one used above
        code = pyotp.TOTP(enrolment.totp_secret).at(dt.datetime.now(dt.UTC)
                                                    + dt.timedelta(seconds=30))
        after = directory.login("ada", "a long enough passphrase", code, client="127.0.0.1")
        assert after.operator == "ada" and after.id != before.id
    finally:
        ledger.close()
