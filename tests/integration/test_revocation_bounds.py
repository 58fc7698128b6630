"""Revocation bounds of the read models, on a SQLite file and on PostgreSQL.

- In the process that revokes (the same ledger instance), the very next check refuses:
  no follower round is waited for.
- In another process on the same store (a second ledger instance over it, with its
  read models followed as the hub follows them; or the ``interop-hub`` CLI run as a
  process of its own), the check refuses within 1 s.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from contracts.identity import ServiceId
from contracts.social_security import ContributionHistory, ContributionHistoryQuery
from hub.adapters.readmodels import models_of
from hub.adapters.store.ledger import Ledger
from hub.bootstrap.privacy import build_ledger
from hub.bootstrap.security import access_policy
from hub.domain.credential import CredentialKind
from hub.domain.credential_errors import RevokedCredentialError, SecurityError
from hub.service_layer.exchanges.routing import ServiceDefinition
from hub.service_layer.security.credentials import CredentialService
from hub.service_layer.security.decision import AccessPolicy
from hub.service_layer.security.purposes import Purpose
from hub.service_layer.security.refusals import AccessDeniedError, ConsentRequiredError
from hub.settings import HubSettings
from tests.waiting import wait_until_async

BOUND_S = 1.0
REF = "ds-" + "5" * 32
SERVICE = ServiceDefinition(
    id=ServiceId("north", "social-security", "contribution-history"),
    request=ContributionHistoryQuery, response=ContributionHistory, operation="CH",
    adapter="x", endpoint="x",
    purposes=(
        Purpose("benefit", ("person", "periods"), legal_basis="Act s. 1"),
        Purpose("loan", ("periods.start", "periods.end", "as_of"), consent=True),
    ),
)
UNTIL = dt.date.today() + dt.timedelta(days=30)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> HubSettings:
    store = None if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    return HubSettings(data=tmp_path / "hub", store=store)


@pytest.fixture
def here(settings: HubSettings) -> Iterator[Ledger]:
    ledger = build_ledger(settings)
    yield ledger
    ledger.close()


@pytest.fixture
def there(settings: HubSettings, here: Ledger) -> Iterator[Ledger]:
    """A second ledger over the same store: what another hub process holds."""
    ledger = build_ledger(settings)
    yield ledger
    ledger.close()


@pytest.fixture
async def followed(there: Ledger) -> AsyncIterator[Ledger]:
    """``there`` with its read models followed in the background, as ``run_hub`` does."""
    stop = asyncio.Event()
    task = asyncio.create_task(models_of(there).follower().run(stop))
    yield there
    stop.set()
    await asyncio.wait_for(task, 10)


def _grant_all(ledger: Ledger) -> tuple[CredentialService, AccessPolicy, str]:
    credentials = CredentialService(ledger, "north")
    token = credentials.issue("north/tax", CredentialKind.DEPARTMENT, dt.timedelta(days=1)).token
    policy = access_policy(ledger, "north")
    policy.rights.grant("north/tax", str(SERVICE.id), ["benefit", "loan"])
    policy.consents.grant(REF, "loan", "north/tax", until=UNTIL)
    return credentials, policy, f"Bearer {token}"


def test_a_revocation_refuses_the_next_request_in_the_same_process(here: Ledger) -> None:
    """Credential, right and consent revoked: the next check, at once, refuses."""
    credentials, policy, header = _grant_all(here)
    credential_id = credentials.authenticate(header).credential_id
    policy.consents.revoke(REF, "loan", "north/tax")
    with pytest.raises(ConsentRequiredError):
        policy.decide("north/tax", SERVICE, "loan", REF)
    assert policy.decide("north/tax", SERVICE, "benefit", REF).basis == "legal-basis"
    policy.rights.revoke("north/tax", str(SERVICE.id))
    with pytest.raises(AccessDeniedError):
        policy.decide("north/tax", SERVICE, "benefit", REF)
    credentials.revoke(credential_id, "lost laptop")
    with pytest.raises(RevokedCredentialError):
        credentials.authenticate(header)


async def _refused_within(check: Callable[[], object], refusal: type[Exception]) -> float:
    """Seconds until ``check`` raises ``refusal`` (fails the test past twice the bound)."""
    def refused() -> Exception | None:
        try:
            check()
        except refusal as exc:
            return exc
        return None

    started = time.monotonic()
    await wait_until_async(refused, timeout_s=2 * BOUND_S, interval_s=0.01,
                           message=f"{refusal.__name__} after the revocation")
    return time.monotonic() - started


async def test_a_revocation_reaches_another_process_within_the_bound(
    here: Ledger, followed: Ledger
) -> None:
    """Revoked through one ledger: a hub on another ledger over the store refuses within 1 s."""
    credentials, policy, header = await asyncio.to_thread(_grant_all, here)
    theirs = CredentialService(followed, "north")
    their_policy = access_policy(followed, "north")
    # A token issued a moment ago elsewhere is known at once (an unknown one makes the models
    # catch up, rights and consents included).
    assert theirs.authenticate(header).name == "north/tax"
    assert their_policy.decide("north/tax", SERVICE, "loan", REF).basis == "consent"
    lags = {}
    await asyncio.to_thread(policy.consents.revoke, REF, "loan", "north/tax")
    lags["consent"] = await _refused_within(
        lambda: their_policy.decide("north/tax", SERVICE, "loan", REF), ConsentRequiredError)
    await asyncio.to_thread(policy.rights.revoke, "north/tax", str(SERVICE.id))
    lags["right"] = await _refused_within(
        lambda: their_policy.decide("north/tax", SERVICE, "benefit", REF), AccessDeniedError)
    credential_id = theirs.authenticate(header).credential_id
    await asyncio.to_thread(credentials.revoke, credential_id, "lost laptop")
    lags["credential"] = await _refused_within(lambda: theirs.authenticate(header), SecurityError)
    assert max(lags.values()) <= BOUND_S, lags


async def test_a_revocation_by_the_cli_process_reaches_a_running_hub_within_the_bound(
    settings: HubSettings, followed: Ledger
) -> None:
    """``interop-hub credentials revoke`` in a process of its own: refused here within 1 s."""
    credentials = CredentialService(followed, "north")
    issued = await asyncio.to_thread(credentials.issue, "north/tax", CredentialKind.DEPARTMENT,
                                     dt.timedelta(days=1))
    header = f"Bearer {issued.token}"
    assert credentials.authenticate(header).name == "north/tax"
    env = {**os.environ, "HUB_DATA": str(settings.data), "HUB_LOG_LEVEL": "warning"}
    if settings.store:
        env["HUB_STORE"] = settings.store
    cli = str(Path(sys.executable).parent / "interop-hub")
    proc = await asyncio.create_subprocess_exec(
        cli, "credentials", "revoke", issued.credential_id.hex, "--reason", "from the CLI",
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()
    lag = await _refused_within(lambda: credentials.authenticate(header), RevokedCredentialError)
    assert lag <= BOUND_S
