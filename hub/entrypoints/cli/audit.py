"""``interop-hub audit``: checkpoint, verify, prove inclusion and consistency, export the key.

Exit codes: 0 all good; 1 ``verify`` found tampering (or a proof's check failed);
2 the command could not run (no store, no key, no such checkpoint...).

The options and helpers every command shares come from
:mod:`hub.entrypoints.cli.common` (``cli.DataOption``, ``cli.out``, ``cli.load_settings``).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from contracts.errors import HubError
from hub.adapters.store.selection import describe_store
from hub.entrypoints.cli import common as cli
from hub.logs import configure_logging
from hub.service_layer.audit import Auditor, Checkpoint, VerifyReport, resolve_region
from hub.service_layer.audit.keys import load_or_create_audit_signer, public_key_pem
from hub.settings import HubSettings

app = typer.Typer(
    help="Tamper-evident audit log: signed checkpoints, verification, proofs.",
    no_args_is_help=True,
)

KeyOption = Annotated[
    str | None,
    typer.Option(
        "--key",
        help="Check signatures with this verifier key (name+hash+base64) instead of the "
        "data folder's own key, as a peer region would",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the proof as JSON")]


@contextlib.contextmanager
def _reported() -> Iterator[None]:
    """Our errors become one readable line and exit code 2."""
    try:
        yield
    except HubError as exc:
        cli.out.print(f"error: {exc.message}", markup=False, highlight=False)
        raise typer.Exit(2) from None


def _settings(data: Path | None) -> HubSettings:
    """Settings for the folder: its own region unless HUB_REGION names it (another is exit 2)."""
    settings = cli.load_settings(data)
    # Only warnings on the terminal: the command's own output is the report.
    level = "warning" if settings.log_format == "auto" else settings.log_level
    configure_logging(settings.log_format, level)
    with _reported():
        region = resolve_region(
            settings.data, settings.region, explicit="region" in settings.model_fields_set)
    return settings.model_copy(update={"region": region})


def _plain(text: str) -> None:
    cli.out.print(text, markup=False, highlight=False, soft_wrap=True)


@app.command("checkpoint")
def checkpoint(data: cli.DataOption = None) -> None:
    """Cover every stored event and sign a checkpoint now."""
    settings = _settings(data)
    with _reported():
        signed = Auditor.from_settings(settings).checkpoint()
    _plain(f"signed checkpoint of {signed.size} events, recorded in {settings.data / 'audit'}")
    _plain(signed.note)


@app.command("verify")
def verify(data: cli.DataOption = None, key: KeyOption = None) -> None:
    """Recompute the tree from the stored events and check every recorded checkpoint."""
    settings = _settings(data)
    with _reported():
        report = Auditor.from_settings(settings).verify(key)
    _plain(f"store        {describe_store(settings.store, settings.data)}")
    _plain(f"events       {report.events}")
    _plain(f"checkpoints  {report.checkpoints} checked")
    _plain(f"root         {report.root.hex()} (of all {report.events} events)")
    _print_outcome(report)
    if not report.ok:
        raise typer.Exit(1)


def _print_outcome(report: VerifyReport) -> None:
    if report.ok:
        tail = report.events - report.covered
        if report.checkpoints == 0:
            _plain("ok: no checkpoint recorded yet, so nothing to hold the store against")
        else:
            _plain(
                f"ok: the stored events match every signed checkpoint "
                f"({report.covered} events covered, {tail} since the latest checkpoint)"
            )
        return
    _plain("TAMPERED:")
    for problem in report.problems:
        _plain(f"  {problem}")
    if report.first_bad is not None:
        bad = report.first_bad
        _plain(f"first bad event: {bad.describe()} (leaf {bad.leaf_index}): {bad.detail}")


@app.command("prove")
def prove(
    event: Annotated[
        str, typer.Argument(help="A notification position, or <aggregate-id>:<version>")
    ],
    data: cli.DataOption = None,
    as_json: JsonOption = False,
    key: KeyOption = None,
) -> None:
    """Print an inclusion proof of one stored event against the latest checkpoint."""
    settings = _settings(data)
    with _reported():
        proof = Auditor.from_settings(settings).prove(event, key)
    if as_json:
        print(json.dumps(proof.to_json(), indent=2))
        return
    row = proof.event
    _plain(
        f"event        position {row.position}, aggregate {row.aggregate_id}, "
        f"version {row.version} ({row.topic})"
    )
    _plain(f"leaf index   {proof.leaf_index}")
    _plain(f"tree size    {proof.checkpoint.size}")
    _plain(f"leaf hash    {proof.leaf_hash.hex()}")
    _plain(f"audit path   {len(proof.path)} hashes, leaf to root")
    for node in proof.path:
        _plain(f"  {node.hex()}")
    _print_note("checkpoint", proof.checkpoint)


@app.command("consistency")
def consistency(
    old: Annotated[int, typer.Argument(help="Tree size of the older recorded checkpoint")],
    new: Annotated[int, typer.Argument(help="Tree size of the newer recorded checkpoint")],
    data: cli.DataOption = None,
    as_json: JsonOption = False,
    key: KeyOption = None,
) -> None:
    """Print a proof that the checkpoint of size NEW extends the one of size OLD."""
    settings = _settings(data)
    with _reported():
        proof = Auditor.from_settings(settings).consistency(old, new, key)
    if as_json:
        print(json.dumps(proof.to_json(), indent=2))
        return
    _plain(f"old size     {proof.old.size}")
    _plain(f"new size     {proof.new.size}")
    _plain(f"proof        {len(proof.path)} hashes")
    for node in proof.path:
        _plain(f"  {node.hex()}")
    _print_note("old checkpoint", proof.old)
    _print_note("new checkpoint", proof.new)


@app.command("key")
def key(
    data: cli.DataOption = None,
    pem: Annotated[bool, typer.Option("--pem", help="Also print the public key as PEM")] = False,
) -> None:
    """Print the region's audit verifier key (created on first use), for peers to pin."""
    settings = _settings(data)
    with _reported():
        signer = load_or_create_audit_signer(settings.data, Auditor.from_settings(settings).origin)
    _plain(signer.verifier().vkey())
    if pem:
        _plain(public_key_pem(signer).rstrip("\n"))


def _print_note(title: str, checkpoint: Checkpoint) -> None:
    _plain(f"{title} (signed note):")
    _plain(checkpoint.note.rstrip("\n"))
