"""What each proof of identity costs per request, beside the bearer token (the reference).

On a real SQLite store in a scratch folder: a bearer token and a client
certificate are answered from the in-memory read model; a WS-Security
UsernameToken also unseals the password (AES-GCM), hashes the digest and saves
its nonce (one store transaction: what refuses a replay in every process).
Rounds alternate and the best of each is kept, as the machine may be shared.

    python -m simulations.bench.legacy_auth [requests per round]
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from hub.bootstrap.privacy import build_ledger
from hub.domain.credential import CredentialKind
from hub.service_layer.security.credentials import CredentialService
from hub.service_layer.security.legacy_logins import subject_identity
from hub.settings import HubSettings
from translation.wsse_username import UsernameToken, password_digest

ROUNDS = 3
_PASSWORD = "bench-password-0123456789"  # noqa: S105 - a scratch store's password


def _token() -> UsernameToken:
    created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    nonce = os.urandom(16)
    return UsernameToken("bench", password_digest(nonce, created, _PASSWORD), "digest", nonce,
                         created)


def _best_us(step: Callable[[], object], count: int, best: float) -> float:
    start = time.perf_counter()
    for _ in range(count):
        step()
    return min(best, (time.perf_counter() - start) / count * 1e6)


def run(count: int = 300) -> dict[str, float]:
    """Microseconds per authentication, best of :data:`ROUNDS` rounds of ``count``."""
    with tempfile.TemporaryDirectory() as folder:
        settings = HubSettings(data=Path(folder) / "hub", log_format="json")
        settings.data.mkdir(parents=True)
        ledger = build_ledger(settings)
        try:
            service = CredentialService(ledger, settings.region)
            department = f"{settings.region}/bench"
            bearer = "Bearer " + service.issue(department, CredentialKind.DEPARTMENT,
                                               dt.timedelta(hours=1)).token
            service.legacy.set_username_token(department, "bench", _PASSWORD)
            service.legacy.bind_certificate(department, "subject:CN=bench")
            identities = [subject_identity("CN=bench")]
            best = dict.fromkeys(("bearer", "certificate", "username-token"), float("inf"))
            for _ in range(ROUNDS):
                tokens = iter([_token() for _ in range(count)])
                best["bearer"] = _best_us(lambda: service.authenticate(bearer), count,
                                          best["bearer"])
                best["certificate"] = _best_us(
                    lambda: service.legacy.authenticate_certificate(identities, "CN=bench"),
                    count, best["certificate"])
                best["username-token"] = _best_us(
                    lambda t=tokens: service.legacy.authenticate_username_token(next(t)), count,
                    best["username-token"])
        finally:
            ledger.close()
    return best


if __name__ == "__main__":
    figures = run(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
    for name, micros in figures.items():
        print(f"{name:15s} {micros:9.1f} µs/request  {micros / figures['bearer']:7.1f}x bearer")
