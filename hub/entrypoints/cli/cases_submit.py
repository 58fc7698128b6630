"""``interop-hub cases submit``: file a case with a running hub, as a portal department.

The application is read from a JSON file and sent to ``POST /cases`` with the department's
bearer token, exactly as a portal would; the hub validates and records it. A refusal is
printed with its code and each field (path and reason), and the command exits 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer


def _documents(pairs: list[str]) -> dict[str, str]:
    documents = {}
    for pair in pairs:
        name, sep, document_id = pair.partition("=")
        if not sep or not name or not document_id:
            raise typer.BadParameter(f"{pair!r} is not NAME=DOCUMENT_ID", param_hint="--document")
        documents[name] = document_id
    return documents


def _application(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc.strerror}",
                                 param_hint="APPLICATION") from None
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"{path}: not JSON (line {exc.lineno}: {exc.msg})",
                                 param_hint="APPLICATION") from None
    if not isinstance(value, dict):
        raise typer.BadParameter(f"{path}: the application must be a JSON object",
                                 param_hint="APPLICATION")
    return value


def submit(
    application: Annotated[Path, typer.Argument(help="The application (a JSON object)")],
    case_type: Annotated[str, typer.Option("--case-type", help="e.g. relocation@1.0")],
    hub: Annotated[str, typer.Option("--hub", envvar="HUB_URL",
                                     help="The hub's base URL, e.g. http://127.0.0.1:8080")],
    token: Annotated[str, typer.Option("--token", envvar="HUB_TOKEN",
                                       help="The portal department's bearer token")],
    department: Annotated[str, typer.Option("--department",
                                            help="The portal department, e.g. south/portal")],
    document: Annotated[list[str] | None, typer.Option(
        "--document", help="A supplied document as NAME=DOCUMENT_ID (repeat)")] = None,
) -> None:
    """File a case for an applicant; prints the case id and each step's state."""
    body = {"case_type": case_type, "application": _application(application),
            "documents": _documents(document or [])}
    headers = {"Authorization": f"Bearer {token}", "X-Hub-Client": department}
    try:
        response = httpx.post(f"{hub.rstrip('/')}/cases", json=body, headers=headers,
                              timeout=60)
    except httpx.HTTPError as exc:
        typer.echo(f"error: cannot reach the hub at {hub}: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        answer = response.json()
    except ValueError:
        answer = {"code": f"http-{response.status_code}", "message": response.text[:200]}
    if response.status_code != 201:
        typer.echo(f"refused ({response.status_code} {answer.get('code', '')}): "
                   f"{answer.get('detail') or answer.get('message') or answer.get('title', '')}",
                   err=True)
        for issue in answer.get("issues") or []:
            typer.echo(f"  {issue.get('path', '')}: {issue.get('reason', '')}", err=True)
        raise typer.Exit(1)
    typer.echo(f"case {answer['case_id']} ({answer['case_type']}): {answer['status']}")
    for name, step in answer["steps"].items():
        extra = step.get("reference") or step.get("reason") or ""
        typer.echo(f"  {name}: {step['state']}" + (f" ({extra})" if extra else ""))
