"""``interop-hub subject``: a data subject's key, forgetting them, and their data-use report.

A subject is named by their national id or by their subject reference
(``ds-…``, as events and ``exchanges show`` print it); see :mod:`hub.adapters.crypto`.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from hub.adapters.projections.data_use_book import open_data_uses
from hub.entrypoints.cli import common as hub_cli
from hub.service_layer.privacy.erasure import erasures_of, forget_subject
from hub.service_layer.security.report import DataUse, data_use_report

app = typer.Typer(help="Data subjects: show their key, or forget them.", no_args_is_help=True)


SubjectArgument = Annotated[
    str, typer.Argument(help="A national id, or a subject reference (ds-…)", show_default=False)
]


@app.command("show")
def show(subject: SubjectArgument, data: hub_cli.DataOption = None) -> None:
    """Print a subject's reference, the keys held for them, and their erasures."""
    settings = hub_cli.load_settings(data)
    ledger = hub_cli.open_ledger(settings)
    try:
        keyring = ledger.keyring
        ref = keyring.resolve(subject)
        key = keyring.describe(ref)
        held = keyring.key_ids(ref)
        erasures = erasures_of(ledger, ref)
    finally:
        ledger.close()
    out = hub_cli.out
    out.print(f"subject {ref}", highlight=False)
    if key is None:
        out.print("  key: none (destroyed, or nothing about this subject was stored)")
    else:
        out.print(f"  key: {key.kid}, created {key.created_at:%Y-%m-%d %H:%M:%S} UTC")
    scoped = [kid for kid in held if key is None or kid != key.kid]
    # Keys of retention scopes (hub.domain.retention): `interop-hub retention status` says when.
    out.print(f"  retention keys: {', '.join(scoped) or 'none'}", highlight=False)
    if not erasures:
        out.print("  erasures: none")
    for erasure in erasures:
        destroyed = ", ".join(erasure.key_ids) or "no key held"
        out.print(
            f"  erased {erasure.at:%Y-%m-%d %H:%M:%S} UTC (keys destroyed: {destroyed})",
            highlight=False,
        )


@app.command("forget")
def forget(
    subject: SubjectArgument,
    data: hub_cli.DataOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation")] = False,
) -> None:
    """Destroy a subject's key: their personal data becomes unreadable everywhere, for good."""
    settings = hub_cli.load_settings(data)
    ledger = hub_cli.open_ledger(settings)
    try:
        keyring = ledger.keyring
        ref = keyring.resolve(subject)
        if not yes:
            typer.confirm(
                f"Destroy the key of {ref}? Their personal data cannot be read again.",
                abort=True,
            )
        erasure = forget_subject(ledger, keyring, ref)
    finally:
        ledger.close()
    out = hub_cli.out
    destroyed = ", ".join(erasure.key_ids) or "none held (already forgotten, or never stored)"
    out.print(f"forgot subject {ref}", highlight=False)
    out.print(f"  key destroyed: {destroyed}", highlight=False)
    out.print(f"  erasure recorded: {erasure.erasure_id}", highlight=False)
    out.print("  their sealed fields now read as erased; stored events are unchanged")
    # The shipped read models copy no personal payload, so none needs rebuilding; one
    # that did would keep a readable copy until rebuilt from the (now erased) events.
    out.print(
        "  read models copy no personal payloads; any that did must be rebuilt: "
        f"interop-hub replay --data {settings.data}",
        highlight=False,
    )


@app.command("report")
def report(
    subject: SubjectArgument,
    data: hub_cli.DataOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
) -> None:
    """Every use of a subject's data: when, which department, purpose, fields, basis."""
    settings = hub_cli.load_settings(data)
    ledger = hub_cli.open_ledger(settings)
    try:
        book = open_data_uses(ledger, settings.store, settings.data)
        try:
            ref = ledger.keyring.resolve(subject)
            uses = data_use_report(book, ref)
        finally:
            book.close()
    finally:
        ledger.close()
    if as_json:
        for use in uses:
            print(json.dumps({"subject": ref, **use.as_dict()}))
        return
    out = hub_cli.out
    out.print(f"data-use report of subject {ref}: {len(uses)} use(s)", highlight=False)
    for use in uses:
        basis = (f"consent {use.consent_id}" if use.basis == "consent"
                 else f"legal basis: {use.legal_basis}")
        out.print(
            f"  {use.at:%Y-%m-%d %H:%M:%S} UTC  {use.recipient} via {use.service}\n"
            f"      purpose {use.purpose}; {basis}\n"
            f"      fields: {', '.join(use.fields)}\n"
            f"      kept until: {_kept(use)}",
            highlight=False,
        )


def _kept(use: DataUse) -> str:
    if use.kept_until is None:
        return "the subject is forgotten (the purpose states no retention period)"
    return f"{use.kept_until:%Y-%m-%d %H:%M} UTC (retention {use.retention})"
