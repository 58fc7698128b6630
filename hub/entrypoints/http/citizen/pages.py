"""``/citizen/``: the pages a portal would show a person, served by the hub.

A person signs in once with an ID token (on a real portal, the eID login hands the
portal that token; here it is pasted into a form), then reads their data-use report,
consents, cases and what is kept until when, and may withdraw a consent. The session
cookie holds the access id and a random secret (``HttpOnly``, ``SameSite=Strict``, path
``/citizen``, ``Secure`` over HTTPS) and ends when the token expires; each page seen is
recorded as a reading. Forms carry a token derived from the session secret (CSRF); the
sign-in form, posted before there is a session, is refused when the browser says it comes
from another site (``Sec-Fetch-Site: cross-site``: login CSRF).

The pages need no script: a small one only remembers the colour theme chosen with the
toggle (otherwise the system's light or dark preference applies). Text is sized in
``rem`` and the layout reflows, so it reads at 200 % zoom; every control has a label and
every page a skip link, landmarks and one ``h1``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from contracts.errors import HubError
from hub.adapters.id_tokens.errors import IdTokenMissingError
from hub.entrypoints.http.citizen.api import client_address
from hub.service_layer.citizen.desk import CASES, CONSENTS, KEPT, REPORT, CitizenDesk
from hub.service_layer.citizen.errors import CitizenSessionEndedError
from hub.service_layer.citizen.views import CASES_NOTE

HERE = Path(__file__).resolve().parent
COOKIE = "citizen_session"
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
# What a redirect may ask a page to say, by key: a link cannot put words of its own on a page.
NOTICES = {
    "withdrawn": "Your consent is withdrawn: the department may no longer use your data for "
                 "that purpose.",
    "signed-out": "You are signed out.",
}
ERRORS = {
    "citizen-consent-not-found": "You have no such consent.",
    "citizen-consent-not-active": "That consent is already withdrawn or expired.",
}
PAGES = (  # path, reading, title, template
    ("/citizen/report", REPORT, "Who used my data", "report.html"),
    ("/citizen/consents", CONSENTS, "My consents", "consents.html"),
    ("/citizen/cases", CASES, "My cases", "cases.html"),
    ("/citizen/kept", KEPT, "What is kept, and until when", "kept.html"),
)


def mount_citizen_static(app: Any) -> None:
    """Serve the pages' stylesheet and theme script under /citizen/static."""
    app.mount("/citizen/static", StaticFiles(directory=str(HERE / "static")), name="citizen")


def csrf_token(secret: str) -> str:
    """The forms' token: derived from the session secret, so only its holder can post."""
    return hmac.new(secret.encode(), b"citizen-csrf", hashlib.sha256).hexdigest()


class CitizenPages:
    """Renders the citizen pages over a :class:`CitizenDesk`."""

    def __init__(self, desk: CitizenDesk, region: str) -> None:
        self.desk = desk
        self.region = region
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))

    def render(self, request: Request, template: str, title: str, *, status: int = 200,
               secret: str = "", **context: Any) -> Response:
        nav = [(path, label) for path, _, label, _ in PAGES] if secret else []
        response = self.templates.TemplateResponse(request, template, {
            "title": title, "region": self.region, "nav": nav, "active": request.url.path,
            "csrf": csrf_token(secret) if secret else "", "signed_in": bool(secret),
            **context}, status_code=status)
        response.headers.update(SECURITY_HEADERS)
        return response

    def signed_out(self, request: Request, message: str, *, status: int = 401) -> Response:
        response = self.render(request, "sign_in.html", "Sign in", status=status, error=message)
        response.delete_cookie(COOKIE, path="/citizen")
        return response


def _session(request: Request) -> tuple[UUID, str] | None:
    access, _, secret = request.cookies.get(COOKIE, "").partition(".")
    try:
        return UUID(access), secret
    except ValueError:
        return None


def citizen_pages_router(pages: CitizenPages) -> APIRouter:
    """Sign-in, the four readings, consent withdrawal and sign-out."""
    router = APIRouter(include_in_schema=False)
    desk = pages.desk

    @router.get("/citizen/")
    async def start(request: Request, message: str = "") -> Response:
        if _session(request) is not None:
            return RedirectResponse("/citizen/report", status_code=303)
        return pages.render(request, "sign_in.html", "Sign in", message=NOTICES.get(message, ""))

    @router.post("/citizen/sign-in")
    async def sign_in(request: Request, id_token: str = Form("")) -> Response:
        token = id_token.strip()
        if request.headers.get("sec-fetch-site") == "cross-site":
            # Login CSRF: another site's form would sign this browser in as whoever's token
            # it posts (the cookie is set whatever SameSite says), and the person would then
            # read, and act on, someone else's data believing it theirs.
            await asyncio.to_thread(desk.refuse, "citizen-cross-site",
                                    "sign-in form posted from another site",
                                    request.url.path, desk.claimed(token),
                                    client=client_address(request))
            return pages.render(request, "sign_in.html", "Sign in", status=403,
                                error="Not signed in: the sign-in form was sent from another "
                                      "site. Paste your ID token on this page.")
        try:
            if not token:
                raise IdTokenMissingError("paste the ID token your identity provider gave you",
                                          claim="")
            session = await asyncio.to_thread(desk.sign_in, token)
        except HubError as exc:
            record = await asyncio.to_thread(desk.refuse, exc.code, exc.message,
                                             request.url.path, desk.claimed(token),
                                             client=client_address(request))
            if record.refusal_id is None:
                wait = record.retry_after_s
                answer = pages.render(request, "sign_in.html", "Sign in", status=429,
                                      error=f"Not signed in: too many failed sign-ins from "
                                            f"this address; try again in {wait} seconds.")
                answer.headers["Retry-After"] = str(wait)
                return answer
            return pages.render(request, "sign_in.html", "Sign in", status=exc.status,
                                error=f"Not signed in: {exc.message}.")
        response = RedirectResponse("/citizen/report", status_code=303)
        response.set_cookie(COOKIE, f"{session.access_id}.{session.secret}",
                            expires=session.expires_at, path="/citizen", httponly=True,
                            samesite="strict", secure=request.url.scheme == "https")
        return response

    for path, what, title, template in PAGES:
        _reading_route(router, pages, path, what, title, template)

    @router.post("/citizen/consents/revoke")
    async def revoke(request: Request, consent_id: str = Form(""), csrf: str = Form("")
                     ) -> Response:
        found = _session(request)
        if found is None or not hmac.compare_digest(csrf, csrf_token(found[1])):
            await asyncio.to_thread(desk.refuse, "citizen-csrf", "form token missing or wrong",
                                    request.url.path, desk.claimed(""),
                                    client=client_address(request))
            return pages.signed_out(request, "The form's security token is missing or wrong: "
                                    "sign in again.", status=403)
        try:
            await asyncio.to_thread(desk.revoke_in_session, *found, consent_id)
        except CitizenSessionEndedError as exc:
            return pages.signed_out(request, exc.message)
        except HubError as exc:
            await asyncio.to_thread(desk.refuse, exc.code, exc.message, request.url.path,
                                    desk.claimed(""), getattr(exc, "subject_ref", ""),
                                    client=client_address(request))
            return RedirectResponse(f"/citizen/consents?error={quote(exc.code)}",
                                    status_code=303)
        return RedirectResponse("/citizen/consents?message=withdrawn", status_code=303)

    @router.post("/citizen/sign-out")
    async def sign_out(request: Request, csrf: str = Form("")) -> Response:
        found = _session(request)
        if found is not None and hmac.compare_digest(csrf, csrf_token(found[1])):
            try:
                await asyncio.to_thread(desk.sign_out, *found)
            except CitizenSessionEndedError:
                pass  # already over: signing out again changes nothing
        response = RedirectResponse("/citizen/?message=signed-out", status_code=303)
        response.delete_cookie(COOKIE, path="/citizen")
        return response

    return router


def _reading_route(router: APIRouter, pages: CitizenPages, path: str, what: str, title: str,
                   template: str) -> None:
    desk = pages.desk

    async def page(request: Request, message: str = "", error: str = "") -> Response:
        found = _session(request)
        if found is None:
            return pages.signed_out(request, "Sign in to see your data.")
        try:
            seen = await asyncio.to_thread(desk.read_in_session, *found, what)
        except CitizenSessionEndedError as exc:
            return pages.signed_out(request, exc.message)
        return pages.render(request, template, title, secret=found[1], items=seen.items,
                            subject=seen.subject_ref, message=NOTICES.get(message, ""),
                            error=ERRORS.get(error, ""), cases_note=CASES_NOTE)

    router.add_api_route(path, page, methods=["GET"], name=f"citizen-{what}")
