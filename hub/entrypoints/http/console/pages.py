"""The web console: server-rendered pages for operators (HTML, no script needed).

Pages live under ``/console/`` (``/`` redirects there). Each page needs an
operator session with the permission it names (hub.service_layer.operators.roles); without
one the browser is sent to the login page. Every POST carries the session's
CSRF token and is recorded as an operator action, whether it succeeds or not.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from contracts.errors import HubError
from hub.adapters.projections import ExchangeQuery
from hub.adapters.projections.exchange_index import OUTCOMES
from hub.entrypoints.http.console.alarms_page import alarms_routes
from hub.entrypoints.http.console.auth import COOKIE, ConsoleAuth
from hub.entrypoints.http.console.charts import Line, legend, line_chart
from hub.entrypoints.http.console.document_page import document_routes
from hub.entrypoints.http.console.queries import ConsoleQueries
from hub.entrypoints.http.console.subject_page import subject_routes
from hub.service_layer.operators import (
    ActiveSession,
    LoginRefusedError,
    OperatorDirectory,
    Permission,
)

HERE = Path(__file__).resolve().parent
WINDOWS = ((1.0, "last hour"), (6.0, "last 6 hours"), (24.0, "last 24 hours"),
           (168.0, "last 7 days"))
NAV: tuple[tuple[str, str, Permission], ...] = (
    ("/console/", "Overview", Permission.VIEW),
    ("/console/exchanges", "Exchanges", Permission.VIEW),
    ("/console/services", "Service metrics", Permission.VIEW),
    ("/console/dlq", "Dead letters", Permission.VIEW),
    ("/console/alarms", "Alarms", Permission.VIEW),
    ("/console/audit", "Audit", Permission.VIEW),
    ("/console/federation", "Federation", Permission.VIEW),
    ("/console/reconciliation", "Reconciliation", Permission.VIEW),
    ("/console/documents", "Documents", Permission.VIEW),
    ("/console/subjects", "Data-use reports", Permission.SUBJECT_REPORTS),
    ("/console/actions", "Operator actions", Permission.ACTION_LOG),
)

class ConsolePages:
    """Renders the console's pages for one hub."""

    def __init__(self, queries: ConsoleQueries, directory: OperatorDirectory,
                 auth: ConsoleAuth, *, extra_nav: tuple[tuple[str, str, Permission], ...] = ()):
        self.queries = queries
        self.directory = directory
        self.auth = auth
        self.nav = NAV[:-1] + extra_nav + NAV[-1:]
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))

    def render(self, request: Request, template: str, title: str, session: ActiveSession | None,
               *, status: int = 200, **context: Any) -> Response:
        """Render ``template`` inside the console's frame."""
        nav = [(href, label) for href, label, need in self.nav
               if session is not None and session.allows(need)]
        return self.templates.TemplateResponse(request, template, {
            "title": title, "region": self.queries.region, "session": session, "nav": nav,
            "active": request.url.path, "csrf": self.auth.csrf_token(session) if session else "",
            **context,
        }, status_code=status)

    async def need(self, request: Request, permission: Permission) -> ActiveSession | Response:
        """The session, a redirect to the login page, or a 403 page."""
        session = await self.auth.session(request)
        if session is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/console/login?next={quote(target)}", status_code=303)
        if not session.allows(permission):
            return self.render(request, "error.html", "Not permitted", session, status=403,
                               error=f"Your role ({session.role}) may not {permission.value}.")
        return session

    async def checked(self, request: Request, permission: Permission, csrf: str,
                      action: str, target: str) -> ActiveSession | Response:
        """The session of a POST whose CSRF token is right; otherwise the answer to send
        (login redirect, 403 page), a wrong token being recorded as a refused ``action``."""
        session = await self.need(request, permission)
        if not isinstance(session, ActiveSession):
            return session
        if not self.auth.csrf_ok(session.id, csrf):
            await asyncio.to_thread(self.directory.record, session, action, target,
                                    "refused", "CSRF token missing or wrong")
            return self.render(request, "error.html", "Refused", session, status=403,
                               error="The form's security token is missing or wrong: reload "
                                     "the page and try again.")
        return session

    async def act(
        self, request: Request, permission: Permission, csrf: str, action: str, target: str,
        run: Callable[[ActiveSession], tuple[str, str]], back: str,
    ) -> Response:
        """Run an operator action; record it with its outcome; redirect back with a message."""
        session = await self.checked(request, permission, csrf, action, target)
        if not isinstance(session, ActiveSession):
            return session
        return await self.conclude(session, action, target, asyncio.to_thread(run, session),
                                   back)

    async def conclude(self, session: ActiveSession, action: str, target: str,
                       running: Awaitable[tuple[str, str]], back: str) -> Response:
        """Await a checked action's (outcome, detail); record it (a HubError as
        ``failed``); redirect back with a message."""
        try:
            outcome, detail = await running
        except HubError as exc:
            outcome, detail = "failed", exc.message
        await asyncio.to_thread(self.directory.record, session, action, target, outcome, detail)
        return RedirectResponse(f"{back}?message={quote(f'{action}: {outcome}. {detail}')}",
                                status_code=303)

def console_router(pages: ConsolePages) -> APIRouter:
    """Every console page, the login form and the static files."""
    router = APIRouter(include_in_schema=False)
    _session_routes(router, pages)
    _read_routes(router, pages)
    _dlq_routes(router, pages)
    _audit_routes(router, pages)
    _federation_routes(router, pages)
    subject_routes(router, pages)
    alarms_routes(router, pages)
    document_routes(router, pages, pages.queries.ledger)
    return router

def mount_static(app: Any) -> None:
    """Serve the console's stylesheet under /console/static."""
    app.mount("/console/static", StaticFiles(directory=str(HERE / "static")), name="console")

def _session_routes(router: APIRouter, pages: ConsolePages) -> None:
    @router.get("/")
    async def root() -> Response:
        return RedirectResponse("/console/", status_code=303)

    @router.get("/console/login")
    async def login_form(request: Request, next: str = "/console/") -> Response:
        return pages.render(request, "login.html", "Log in", None, next=_safe_next(next),
                            name="")

    @router.post("/console/login")
    async def login(
        request: Request, name: str = Form(""), password: str = Form(""),
        code: str = Form(""), next: str = Form("/console/"),
    ) -> Response:
        client = request.client.host if request.client else "unknown"
        try:
            session = await asyncio.to_thread(pages.directory.login, name, password, code,
                                              client=client)
        except LoginRefusedError as exc:
            return pages.render(request, "login.html", "Log in", None, status=401,
                                error=exc.message, next=_safe_next(next), name=name)
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(COOKIE, pages.auth.cookie_value(session), httponly=True,
                            samesite="strict", secure=request.url.scheme == "https",
                            max_age=int((session.expires_at - dt.datetime.now(dt.UTC))
                                        .total_seconds()), path="/")
        return response

    @router.post("/console/logout")
    async def logout(request: Request, csrf: str = Form("")) -> Response:
        session = await pages.auth.session(request)
        if session is not None and pages.auth.csrf_ok(session.id, csrf):
            await asyncio.to_thread(pages.directory.logout, session.id)
        response = RedirectResponse("/console/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

def _read_routes(router: APIRouter, pages: ConsolePages) -> None:
    q = pages.queries

    @router.get("/console/")
    async def overview(request: Request, message: str = "") -> Response:
        session = await pages.need(request, Permission.VIEW)
        if not isinstance(session, ActiveSession):
            return session
        metrics = await asyncio.to_thread(q.metrics)
        checkpoints = await asyncio.to_thread(q.checkpoints, 1)
        return pages.render(request, "overview.html", f"Region {q.region}", session,
                            metrics=metrics, latest=checkpoints[0] if checkpoints else None,
                            last_verify=q.last_verify, message=message)

    @router.get("/console/exchanges")
    async def exchanges(request: Request, service: str = "", department: str = "",
                        outcome: str = "", correlation_id: str = "", since: str = "") -> Response:
        session = await pages.need(request, Permission.VIEW)
        if not isinstance(session, ActiveSession):
            return session
        try:
            query = ExchangeQuery(service=service or None, department=department or None,
                                  outcome=outcome or None, correlation_id=correlation_id or None,
                                  since=_moment(since))
            rows = await asyncio.to_thread(q.exchanges, query)
        except (HubError, ValueError) as exc:
            query, rows = ExchangeQuery(), []
            error = getattr(exc, "message", str(exc))
        else:
            error = ""
        return pages.render(request, "exchanges.html", "Exchanges", session, q=query,
                            rows=rows, limit=200, outcomes=list(OUTCOMES), since=since,
                            error=error)

    @router.get("/console/exchanges/{exchange}")
    async def exchange_timeline(request: Request, exchange: str) -> Response:
        session = await pages.need(request, Permission.VIEW)
        if not isinstance(session, ActiveSession):
            return session
        try:
            uid, entries = await asyncio.to_thread(q.timeline, exchange)
        except HubError as exc:
            return pages.render(request, "error.html", "No such exchange", session, status=404,
                                error=exc.message)
        start = entries[0].at
        shown = [{"event": e.event, "version": e.version, "at": e.at,
                  "details": {k: v if isinstance(v, str) else json.dumps(v, default=str)
                              for k, v in e.details.items()},
                  "offset_ms": (e.at - start).total_seconds() * 1000} for e in entries]
        return pages.render(request, "timeline.html", f"Exchange {str(uid)[:8]}", session,
                            exchange_id=uid, entries=shown)

    @router.get("/console/services")
    async def services(request: Request, service: str = "", hours: float = 1.0) -> Response:
        session = await pages.need(request, Permission.VIEW)
        if not isinstance(session, ActiveSession):
            return session
        hours = min((h for h, _ in WINDOWS), key=lambda h: abs(h - hours))
        metrics = await asyncio.to_thread(q.metrics)
        found = await asyncio.to_thread(q.series, service or None, hours)
        return pages.render(request, "services.html", "Service metrics", session,
                            metrics=metrics, service=service, hours=hours, windows=WINDOWS,
                            charts=_charts(found, service or "every service"),
                            buckets=found.buckets, since=found.since.strftime("%Y-%m-%d %H:%M"),
                            bucket_label=_duration(found.width))

    @router.get("/console/actions")
    async def actions(request: Request) -> Response:
        session = await pages.need(request, Permission.ACTION_LOG)
        if not isinstance(session, ActiveSession):
            return session
        entries = await asyncio.to_thread(pages.directory.actions)
        return pages.render(request, "actions.html", "Operator actions", session,
                            actions=entries)

def _dlq_routes(router: APIRouter, pages: ConsolePages) -> None:
    q = pages.queries

    @router.get("/console/dlq")
    async def dlq(request: Request, message: str = "", all: bool = False) -> Response:
        session = await pages.need(request, Permission.VIEW)
        if not isinstance(session, ActiveSession):
            return session
        entries = await asyncio.to_thread(q.dead_letters, all)
        return pages.render(request, "dlq.html", "Dead letters", session, entries=entries,
                            message=message, show_all=all,
                            can_requeue=session.allows(Permission.REQUEUE))

    @router.post("/console/dlq/{exchange}/requeue")
    async def requeue(request: Request, exchange: str, csrf: str = Form("")) -> Response:
        def run(session: ActiveSession) -> tuple[str, str]:
            uid = q.requeue(exchange, session.operator)
            return "requeued", f"exchange {uid[:8]} is routed again"

        return await pages.act(request, Permission.REQUEUE, csrf, "dlq.requeue", exchange, run,
                               "/console/dlq")


def _audit_routes(router: APIRouter, pages: ConsolePages) -> None:
    q = pages.queries

    @router.get("/console/audit")
    async def audit(request: Request, message: str = "") -> Response:
        session = await pages.need(request, Permission.VIEW)
        if not isinstance(session, ActiveSession):
            return session
        history = await asyncio.to_thread(q.history)
        own = [vars(c) for c in reversed(history.checkpoints[-20:])]
        peers = {p: [vars(c) for c in reversed(cs[-10:])]
                 for p, cs in sorted(history.peer_checkpoints.items())}
        return pages.render(request, "audit.html", "Audit", session, checkpoints=own,
                            peers=peers, last_verify=q.last_verify, message=message,
                            can_verify=session.allows(Permission.VERIFY),
                            can_checkpoint=session.allows(Permission.CHECKPOINT))

    @router.post("/console/audit/verify")
    async def verify(request: Request, csrf: str = Form("")) -> Response:
        def run(session: ActiveSession) -> tuple[str, str]:
            outcome = q.verify(session.operator)
            detail = f"{outcome.events} events, {outcome.checkpoints} checkpoints"
            if outcome.problems:
                detail += "; " + "; ".join(outcome.problems)
            return ("passed" if outcome.ok else "failed"), detail

        return await pages.act(request, Permission.VERIFY, csrf, "audit.verify", q.region, run,
                               "/console/audit")

    @router.post("/console/audit/checkpoint")
    async def checkpoint(request: Request, csrf: str = Form("")) -> Response:
        def run(_session: ActiveSession) -> tuple[str, str]:
            signed = q.checkpoint()
            return "signed", f"tree size {signed['size']}, root {signed['root'][:16]}…"

        return await pages.act(request, Permission.CHECKPOINT, csrf, "audit.checkpoint",
                               q.region, run, "/console/audit")

def _federation_routes(router: APIRouter, pages: ConsolePages) -> None:
    q = pages.queries

    @router.get("/console/federation")
    async def federation(request: Request) -> Response:
        session = await pages.need(request, Permission.VIEW)
        if not isinstance(session, ActiveSession):
            return session
        history = await asyncio.to_thread(q.history)
        counts = {kind: sum(d.kind == kind for d in history.decisions)
                  for kind in ("recognised", "refused", "withdrawn")}
        return pages.render(request, "federation.html", "Federation", session,
                            history=history, counts=counts)

    @router.get("/console/reconciliation")
    async def reconciliation(request: Request, message: str = "") -> Response:
        session = await pages.need(request, Permission.VIEW)
        if not isinstance(session, ActiveSession):
            return session
        return pages.render(request, "reconciliation.html", "Reconciliation", session,
                            peers=q.peers, outcomes=dict(q.reconciliations), message=message,
                            can_reconcile=session.allows(Permission.RECONCILE))

    @router.post("/console/reconciliation/{peer}")
    async def reconcile(request: Request, peer: str, csrf: str = Form("")) -> Response:
        def run(session: ActiveSession) -> tuple[str, str]:
            outcome = q.reconcile(peer, session.operator)
            if outcome.error:
                return "failed", outcome.error
            return "ran", outcome.summary

        return await pages.act(request, Permission.RECONCILE, csrf, "reconcile", peer, run,
                               "/console/reconciliation")

def _charts(found: Any, subject: str) -> list[dict[str, str]]:
    labels = [b.start.strftime("%m-%d %H:%M") for b in found.buckets]
    span = f"from {labels[0]} to {labels[-1]} UTC" if labels else ""
    specs = [
        ("Volume", "exchanges", [Line("exchanges", [b.volume for b in found.buckets])], None),
        ("Success rate", "%", [Line("success rate", [
            None if b.success_rate is None else round(100 * b.success_rate, 1)
            for b in found.buckets])], 100.0),
        ("Latency percentiles", "ms", [
            Line("p50", [b.p50_ms for b in found.buckets]),
            Line("p95", [b.p95_ms for b in found.buckets]),
            Line("p99", [b.p99_ms for b in found.buckets])], None),
        ("Time-limit breaches", "exchanges",
         [Line("breaches", [b.breaches for b in found.buckets])], None),
    ]
    charts = []
    for title, unit, lines, top in specs:
        description = f"{title} of {subject} per {_duration(found.width)}, {span}."
        charts.append({"title": f"{title} — {subject}",
                       "svg": line_chart(title, description, labels, lines, unit=unit, y_max=top),
                       "legend": legend(lines)})
    return charts

def _duration(width: dt.timedelta) -> str:
    minutes = width.total_seconds() / 60
    return f"{minutes:g} min" if minutes < 120 else f"{minutes / 60:g} h"

def _moment(text: str) -> dt.datetime | None:
    if not text:
        return None
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)

def _safe_next(target: str) -> str:
    """Only a path of this console: never an open redirect to another site."""
    if target.startswith("/console/") and not target.startswith("//"):
        return target
    return "/console/"
