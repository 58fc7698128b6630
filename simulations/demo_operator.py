"""The demo's console login: an operator account made (or renewed) for this run.

A real region enrols its operators with ``interop-hub operator add``; the demo
does the same through the same directory, with a fresh random password and
TOTP secret each run, printed so that a person can log in to the console.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from hub.entrypoints.serve import Hub
from hub.service_layer.operators import UnknownOperatorError

DEMO_OPERATOR = "demo"


@dataclass(frozen=True)
class DemoLogin:
    """How to log in to the demo's console."""

    url: str
    name: str
    password: str
    totp_secret: str

    def lines(self) -> list[str]:
        """What the demo prints about the console."""
        return [
            f"console: {self.url}",
            f"  log in as {self.name} (role operator), password {self.password}",
            f"  TOTP secret {self.totp_secret}: add it to an authenticator app, or get the "
            f"current code with: .venv/bin/python -c \"import pyotp; "
            f"print(pyotp.TOTP('{self.totp_secret}').now())\"",
        ]


def demo_login(hub: Hub) -> DemoLogin:
    """Enrol the demo operator, or give the existing account a new password and secret."""
    if hub.console is None:  # pragma: no cover - run_hub always builds the console
        raise RuntimeError("the hub has no console")
    directory = hub.console.directory
    password = secrets.token_urlsafe(12)
    try:
        directory.change_password(DEMO_OPERATOR, password, by="demo")
        enrolment = directory.reset_totp(DEMO_OPERATOR, by="demo")
    except UnknownOperatorError:
        enrolment = directory.enrol(DEMO_OPERATOR, "operator", password, by="demo")
    return DemoLogin(f"{hub.http_url}/", DEMO_OPERATOR, password, enrolment.totp_secret)
