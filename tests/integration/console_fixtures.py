"""Operators for console tests: enrol one on a running hub, log in, read the CSRF token."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

import httpx
import pyotp

from hub.entrypoints.serve import Hub
from hub.service_layer.operators.directory import wait_for_next_code

PASSWORD = "a long enough passphrase"


@dataclass(frozen=True)
class ConsoleOperator:
    """An enrolled account and how to produce its codes."""

    name: str
    role: str
    totp_secret: str

    def code(self) -> str:
        """The current TOTP code."""
        return pyotp.TOTP(self.totp_secret).now()


def enrol(hub: Hub, name: str, role: str) -> ConsoleOperator:
    """Enrol ``name`` with ``role`` through the hub's own operator directory."""
    assert hub.console is not None
    enrolment = hub.console.directory.enrol(name, role, PASSWORD, by="test")
    return ConsoleOperator(name, role, enrolment.totp_secret)


async def log_in(http: httpx.AsyncClient, base: str, operator: ConsoleOperator) -> httpx.Response:
    """POST the login form; the client keeps the session cookie.

    A code is accepted once per time step; a test logging the same account in twice
    waits for the next step instead of failing on ``code-reused``.
    """
    response = await http.post(f"{base}/console/login", data={
        "name": operator.name, "password": PASSWORD, "code": operator.code(),
        "next": "/console/"})
    if response.status_code == 401 and "not accepted" in response.text:
        await asyncio.sleep(wait_for_next_code() + 0.2)
        response = await http.post(f"{base}/console/login", data={
            "name": operator.name, "password": PASSWORD, "code": operator.code(),
            "next": "/console/"})
    return response


async def csrf_token(http: httpx.AsyncClient, base: str) -> str:
    """The session's CSRF token, as the console's forms carry it."""
    page = await http.get(f"{base}/console/audit")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)
