"""Who is asking: the operator session behind a console page or an operator API call.

A session is named by a signed cookie (``hub_session``: HttpOnly, SameSite=Strict,
Secure when served over HTTPS) and recorded in the ledger (hub.operators). Unsafe
requests (POST) made with the cookie must also carry the session's CSRF token — a
hidden form field in the console, the ``X-CSRF-Token`` header for API calls — so
another site cannot act with an operator's cookie even where SameSite is not honoured.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from uuid import UUID

from fastapi import HTTPException, Request

from hub.operators import (
    ActiveSession,
    OperatorDirectory,
    Permission,
    SessionInvalidError,
)
from hub.operators.secrets import OperatorSecrets

COOKIE = "hub_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"


@dataclass
class ConsoleAuth:
    """Turns a request's cookie into an :class:`ActiveSession`, and checks CSRF tokens."""

    directory: OperatorDirectory
    secrets: OperatorSecrets

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
        if session is None:
            raise HTTPException(
                401, "an operator session is required: log in at /console/login",
                headers={"WWW-Authenticate": 'Cookie realm="interop-hub console"'})
        if request.method not in ("GET", "HEAD") and not self.csrf_ok(
                session.id, request.headers.get(CSRF_HEADER)):
            raise HTTPException(403, f"the {CSRF_HEADER} header is missing or wrong")
        if not session.allows(permission):
            raise HTTPException(
                403, f"operator {session.operator!r} ({session.role}) may not {permission.value}")
        return session
