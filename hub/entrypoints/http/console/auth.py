"""Who is asking: the operator session behind a console page or an operator API call.

Scripts use an operator token instead (``interop-hub credentials issue
operator:NAME --operator``, sent as ``Authorization: Bearer``): it acts with the
role of the console account of the same NAME, so a token never grants more than
its operator may do, and disabling the account stops the token too.

A session is named by a signed cookie (``hub_session``: HttpOnly, SameSite=Strict,
Secure when served over HTTPS) and recorded in the ledger (hub.service_layer.operators). Unsafe
requests (POST) made with the cookie must also carry the session's CSRF token — a
hidden form field in the console, the ``X-CSRF-Token`` header for API calls — so
another site cannot act with an operator's cookie even where SameSite is not honoured.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID

from fastapi import HTTPException, Request

from hub.domain.credential import CredentialKind
from hub.domain.credential_errors import SecurityError
from hub.service_layer.operators import (
    ActiveSession,
    OperatorDirectory,
    Permission,
    SessionInvalidError,
)
from hub.service_layer.operators.secrets import OperatorSecrets
from hub.service_layer.security.credentials import CredentialService

COOKIE = "hub_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"


@dataclass
class ConsoleAuth:
    """Turns a request's cookie into an :class:`ActiveSession`, and checks CSRF tokens."""

    directory: OperatorDirectory
    secrets: OperatorSecrets
    credentials: CredentialService | None = None

    async def session(self, request: Request) -> ActiveSession | None:
        """The request's valid session, or None (no cookie, forged, ended, expired)."""
        cookie = request.cookies.get(COOKIE)
        if not cookie:
            return None
        try:
            session_id = self.secrets.session_of(cookie)
            return await asyncio.to_thread(self.directory.session, session_id)
        except SessionInvalidError:
            return None

    def csrf_token(self, session: ActiveSession) -> str:
        """The token this session's forms carry."""
        return self.secrets.csrf_token(session.id)

    def csrf_ok(self, session_id: UUID, token: str | None) -> bool:
        """True when ``token`` is ``session_id``'s CSRF token."""
        return bool(token) and self.secrets.check_csrf(session_id, token or "")

    def cookie_value(self, session: ActiveSession) -> str:
        """The cookie naming ``session``."""
        return self.secrets.cookie(session.id)

    async def api_session(self, request: Request, permission: Permission) -> ActiveSession:
        """The session of an operator API call; 401 without one, 403 without the permission.

        A cookie-authenticated POST must carry the CSRF header.
        """
        session = await self.session(request)
        if session is None and request.headers.get("Authorization"):
            session = await self._token_session(request.headers["Authorization"])
        elif session is not None and request.method not in ("GET", "HEAD") and not self.csrf_ok(
                session.id, request.headers.get(CSRF_HEADER)):
            raise HTTPException(403, f"the {CSRF_HEADER} header is missing or wrong")
        if session is None:
            raise HTTPException(
                401, "an operator session (log in at /console/login) or operator token is "
                "required", headers={"WWW-Authenticate": 'Bearer realm="interop-hub operators"'})
        if not session.allows(permission):
            raise HTTPException(
                403, f"operator {session.operator!r} ({session.role}) may not {permission.value}")
        return session

    async def _token_session(self, authorization: str) -> ActiveSession:
        """The session an operator token stands for: its account's current role."""
        if self.credentials is None:
            raise HTTPException(401, "operator tokens are not accepted by this hub")
        try:
            principal = await asyncio.to_thread(self.credentials.authenticate, authorization)
        except SecurityError as exc:
            raise HTTPException(401, exc.message,
                                headers={"WWW-Authenticate": "Bearer"}) from None
        if principal.kind is not CredentialKind.OPERATOR:
            raise HTTPException(403, f"{principal.name} is a department, not an operator")
        name = principal.name.removeprefix("operator:")
        accounts = await asyncio.to_thread(self.directory.accounts)
        account = next((a for a in accounts if a.name == name and a.enabled), None)
        if account is None:
            raise HTTPException(403, f"no enabled console account {name!r} for this token")
        return ActiveSession(principal.credential_id, name, account.role,
                             dt.datetime.max.replace(tzinfo=dt.UTC))

    def require(self, permission: Permission) -> Callable[[Request], Awaitable[ActiveSession]]:
        """A FastAPI dependency: an operator (session or token) whose role grants ``permission``."""

        async def dependency(request: Request) -> ActiveSession:
            return await self.api_session(request, permission)

        return dependency
