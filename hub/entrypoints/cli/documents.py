"""``interop-hub documents``: list supplied documents, show one's history, get its bytes.

``list`` and ``show`` read the ledger (no bytes). ``get`` reads the bytes and is for the
**auditor** role only: the operator logs in (name, password, current TOTP code), the read
is recorded as a disclosure to ``operator:<name>`` and in the operators' action log.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.table import Table

from contracts.errors import HubError
from hub.adapters.store.ledger import Ledger
from hub.bootstrap.documents import offline_document_store
from hub.bootstrap.operators import operator_directory
from hub.entrypoints.cli import common as hub_cli
from hub.service_layer.documents.reading import document_of, open_document, record_auditor_read
from hub.service_layer.documents.views import document_history, list_documents
from hub.service_layer.operators import Permission
from hub.settings import HubSettings

app = typer.Typer(help="Documents supplied once: list, history, bytes (auditors).",
                  no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]
SubjectOption = Annotated[str | None, typer.Option(
    "--subject", help="Only documents about this subject (national id or ds-… reference)")]
DocumentArgument = Annotated[str, typer.Argument(help="The document id", show_default=False)]


@app.command("list")
def list_(data: hub_cli.DataOption = None, subject: SubjectOption = None,
          as_json: JsonOption = False) -> None:
    """Every supplied document (id, when, service, supplier, type, size, subject)."""
    ledger = hub_cli.open_ledger(hub_cli.load_settings(data))
    try:
        ref = ledger.keyring.resolve(subject) if subject else ""
        found = list_documents(ledger, ref)
    finally:
        ledger.close()
    if as_json:
        print(json.dumps([d.as_dict() for d in found], indent=2))
        return
    table = Table("supplied (UTC)", "service", "supplier", "purpose", "type", "bytes",
                  "subject")
    table.add_column("document", no_wrap=True, min_width=36)
    for d in found:
        table.add_row(f"{d.supplied_at:%Y-%m-%d %H:%M:%S}", d.service, d.supplier, d.purpose,
                      d.media_type, str(d.size), d.subject, d.document_id)
    hub_cli.out.print(table)
    hub_cli.out.print(f"{len(found)} document(s)")


@app.command("show")
def show(document_id: DocumentArgument, data: hub_cli.DataOption = None,
         as_json: JsonOption = False) -> None:
    """One document's recorded history: supplied, then every disclosure."""
    ledger = hub_cli.open_ledger(hub_cli.load_settings(data))
    try:
        history = _or_exit(lambda: document_history(ledger, document_id))
    finally:
        ledger.close()
    if as_json:
        print(json.dumps(history, indent=2))
        return
    for entry in history:
        details = ", ".join(f"{k}={v}" for k, v in entry.items()
                            if k not in ("event", "at", "version") and v not in ("", None))
        hub_cli.out.print(f"{entry['at']}  {entry['event']}: {details}", highlight=False)


@app.command("get")
def get(
    document_id: DocumentArgument,
    operator: Annotated[str, typer.Option("--operator", help="An operator with the auditor role")],
    code: Annotated[str, typer.Option("--code", help="The operator's current TOTP code")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Write the bytes here ('-': stdout)")],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the operator's password from standard input")] = False,
    data: hub_cli.DataOption = None,
) -> None:
    """Write a document's bytes (auditor role; the read is recorded as a disclosure)."""
    settings = hub_cli.load_settings(data)
    password = (sys.stdin.readline().rstrip("\n") if password_stdin
                else typer.prompt("password", hide_input=True))
    ledger = hub_cli.open_ledger(settings)
    try:
        size = _or_exit(lambda: asyncio.run(
            _get(settings, ledger, document_id, operator, password, code, out)))
    finally:
        ledger.close()
    if str(out) != "-":
        hub_cli.out.print(f"wrote {size} bytes of document {document_id} to {out}",
                          highlight=False)


async def _get(settings: HubSettings, ledger: Ledger, document_id: str, operator: str,
               password: str, code: str, out: Path) -> int:
    directory = operator_directory(settings, ledger)
    session = await asyncio.to_thread(directory.login, operator, password, code, client="cli")
    try:
        session.require(Permission.DOCUMENT_BYTES)
        document = await asyncio.to_thread(document_of, ledger, document_id)
        async with offline_document_store(settings, ledger) as store:
            body = await open_document(ledger, store, document)
            await asyncio.to_thread(record_auditor_read, ledger, document, operator)
            size = await _write(body, out)
        await asyncio.to_thread(directory.record, session, "document get", document_id, "ok")
        return size
    finally:
        await asyncio.to_thread(directory.logout, session.id)


async def _write(body: AsyncIterator[bytes], out: Path) -> int:
    """Write the bytes as they are opened; a file left by a failed read is removed."""
    size = 0
    to_stdout = str(out) == "-"
    sink = sys.stdout.buffer if to_stdout else out.open("wb")
    try:
        async for chunk in body:
            sink.write(chunk)
            size += len(chunk)
    except BaseException:
        if not to_stdout:
            sink.close()
            await asyncio.to_thread(out.unlink, missing_ok=True)
        raise
    if not to_stdout:
        sink.close()
    return size


T = TypeVar("T")


def _or_exit(action: Callable[[], T]) -> T:
    """The action's result; a HubError printed with its code, and exit status 1."""
    try:
        return action()
    except HubError as exc:
        hub_cli.out.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(1) from None
