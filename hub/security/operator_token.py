"""A static operator token check, as a FastAPI dependency, for the data-use report route.

The token is compared in constant time; no token configured means every
caller is refused. A department-credential check (``require_operator``) can
replace it: :func:`hub.security.report_routes.report_router` takes any dependency.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import HTTPException, Request
from pydantic import SecretStr


def static_operator_token(token: SecretStr | None) -> Callable[[Request], None]:
    """A dependency admitting requests with ``Authorization: Bearer <token>``."""
    expected = token.get_secret_value().encode() if token is not None else b""

    def authorize(request: Request) -> None:
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if not expected:
            raise HTTPException(403, "no operator token is configured (HUB_REPORT_TOKEN)")
        if scheme.lower() != "bearer" or not hmac.compare_digest(presented.encode(), expected):
            raise HTTPException(401, "an operator token is required (Authorization: Bearer)",
                                headers={"WWW-Authenticate": "Bearer"})

    return authorize
