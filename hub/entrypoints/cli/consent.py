"""``interop-hub consent``: a citizen's consents, recorded in the region's ledger.

SUBJECT is a national id or a subject reference (``ds-…``); only the reference
is ever stored::

    consent grant 19800101-1234 --purpose income-verification --recipient north/tax \\
        [--fields periods.start,periods.end] --until 2027-06-30
    consent revoke 19800101-1234 --purpose income-verification --recipient north/tax
    consent list [SUBJECT] [--json]
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer
from rich.table import Table

from hub.entrypoints.cli import common as hub_cli
from hub.service_layer.security.consents import ConsentBook

app = typer.Typer(help="Citizens' consents: grant, revoke, list.", no_args_is_help=True)

from hub.entrypoints.cli.subject import SubjectArgument  # noqa: E402

PurposeOption = Annotated[str, typer.Option("--purpose", help="The purpose consented to")]
RecipientOption = Annotated[
    str, typer.Option("--recipient", help="The department receiving the data (region/department)")
]


@app.command("grant")
def grant(
    subject: SubjectArgument,
    purpose: PurposeOption,
    recipient: RecipientOption,
    until: Annotated[str, typer.Option("--until", help="Last day of validity (YYYY-MM-DD)")],
    fields: Annotated[
        str, typer.Option("--fields", help="Comma-separated field paths (default: all the "
                          "purpose allows)")
    ] = "",
    data: hub_cli.DataOption = None,
) -> None:
    """Record SUBJECT's consent to RECIPIENT for PURPOSE until a date."""
    try:
        last_day = dt.date.fromisoformat(until)
    except ValueError:
        raise typer.BadParameter(f"{until!r} is not a date (YYYY-MM-DD)",
                                 param_hint="--until") from None
    ledger = hub_cli.open_ledger(hub_cli.load_settings(data))
    try:
        ref = ledger.keyring.resolve(subject)
        consent = ConsentBook(ledger).grant(
            ref, purpose, recipient, until=last_day, fields=fields.split(",") if fields else ()
        )
    finally:
        ledger.close()
    shown = ", ".join(consent.fields) or "all the purpose allows"
    hub_cli.out.print(
        f"consent {consent.id}: {ref} to {consent.recipient} for {consent.purpose} "
        f"until {consent.until} (fields: {shown})", highlight=False)


@app.command("revoke")
def revoke(
    subject: SubjectArgument,
    purpose: PurposeOption,
    recipient: RecipientOption,
    data: hub_cli.DataOption = None,
) -> None:
    """Withdraw SUBJECT's consent: the next exchange needing it is refused, queued ones too."""
    ledger = hub_cli.open_ledger(hub_cli.load_settings(data))
    try:
        ref = ledger.keyring.resolve(subject)
        consent = ConsentBook(ledger).revoke(ref, purpose, recipient)
    finally:
        ledger.close()
    hub_cli.out.print(
        f"revoked consent {consent.id} of {ref} to {consent.recipient} for {consent.purpose}",
        highlight=False)


@app.command("list")
def list_consents(
    subject: Annotated[
        str | None, typer.Argument(help="Only this subject (national id or ds-…)")
    ] = None,
    data: hub_cli.DataOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
) -> None:
    """Every consent recorded (of one subject, if named)."""
    ledger = hub_cli.open_ledger(hub_cli.load_settings(data))
    try:
        ref = ledger.keyring.resolve(subject) if subject else None
        book = ConsentBook(ledger)
        found = book.of_subject(ref) if ref else book.all()
    finally:
        ledger.close()
    rows = [{"id": str(c.id), "subject": c.subject_ref, "purpose": c.purpose,
             "recipient": c.recipient, "fields": c.fields, "until": c.until,
             "state": c.state.value, "uses": c.uses} for c in found]
    if as_json:
        for row in rows:
            print(json.dumps(row))
        return
    table = Table(title="consents")
    for column in ("subject", "purpose", "recipient", "fields", "until", "state", "uses"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["subject"], row["purpose"], row["recipient"],
                      ", ".join(row["fields"]) or "(all)", row["until"], row["state"],
                      str(row["uses"]))
    hub_cli.out.print(table)
    hub_cli.out.print(f"{len(rows)} consents")
