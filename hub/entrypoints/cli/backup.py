"""``interop-hub backup``, ``backup verify`` and ``restore``: a region's data, sealed and back.

Exit codes: 0 done (and, for restore, the audit verifies); 1 the restored ledger does not
verify; 2 the command could not run (wrong key, damaged backup, target not empty...).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from contracts.errors import HubError
from hub.adapters.crypto.kek import key_encryption_key, parse_kek, read_kek_file
from hub.adapters.nats.accounts import NatsAuth, hub_client_auth
from hub.entrypoints.cli import common as cli
from hub.logs import configure_logging
from hub.service_layer.audit import resolve_region
from hub.service_layer.backup import (
    RestoreReport,
    backup_key_material,
    restore_backup,
    restore_objects,
    take_backup,
    verify_backup,
)
from hub.service_layer.backup.manifest import KEYS_DUMP
from hub.service_layer.backup.take import NatsAccess
from hub.service_layer.federation.reconciliation.online import (
    RegionNatsNotFound,
    local_nats_url,
)
from hub.settings import HubSettings

app = typer.Typer(help="Back up a region's data, sealed under an operator's key; "
                  "`backup verify TARGET` checks one.", invoke_without_command=True)

KeyFileOption = Annotated[Path | None, typer.Option(
    "--key-file", help="The backup key (>= 32 bytes, raw or base64); default: $HUB_BACKUP_KEY. "
    "Never the KEK")]
NatsOption = Annotated[str | None, typer.Option(
    "--nats", help="NATS holding the region's Object Store buckets (hub-REGION-*); default: "
    "$HUB_NATS_URL, else (backup, --objects-only) the running hub's embedded server; none: "
    "the buckets are not copied, and the command says so")]


@contextlib.contextmanager
def _reported() -> Iterator[None]:
    try:
        yield
    except HubError as exc:
        cli.out.print(f"error: {exc.message}", markup=False, highlight=False)
        raise typer.Exit(2) from None


def _settings(data: Path | None) -> HubSettings:
    settings = cli.load_settings(data)
    configure_logging(settings.log_format,
                      "warning" if settings.log_format == "auto" else settings.log_level)
    return settings


def _material(settings: HubSettings, key_file: Path | None, kek: bytes | None) -> bytes:
    if key_file is not None:
        try:
            raw = key_file.read_bytes()
        except OSError as exc:
            raise typer.BadParameter(f"cannot read {key_file}: {exc.strerror}",
                                     param_hint="--key-file") from None
        return backup_key_material(raw, str(key_file), kek=kek)
    if settings.backup_key is None:
        raise typer.BadParameter("name the backup key: --key-file FILE or HUB_BACKUP_KEY",
                                 param_hint="--key-file")
    return backup_key_material(settings.backup_key.get_secret_value().encode(),
                               "HUB_BACKUP_KEY", kek=kek)


def _running_nats(settings: HubSettings, url: str | None) -> NatsAccess | None:
    """The region's NATS for its buckets: ``--nats``, ``HUB_NATS_URL``, else the running
    embedded server (found in the data folder), with the hub's own NATS user; None when
    none runs (the command then says the buckets were not copied)."""
    try:
        found = url or local_nats_url(settings)
    except RegionNatsNotFound:
        return None
    return NatsAccess(found, hub_client_auth(settings).options())


def _given_nats(settings: HubSettings, url: str | None) -> NatsAccess | None:
    """A NATS named for a restore into an empty folder (no key store to read a seed from
    yet): ``--nats`` or ``HUB_NATS_URL``, with ``HUB_NATS_CREDS``/``HUB_NATS_SEED_FILE``."""
    url = url or settings.nats_url
    return None if url is None else NatsAccess(url, NatsAuth.from_settings(settings).options())


@app.callback()
def backup(
    ctx: typer.Context,
    data: cli.DataOption = None,
    to: Annotated[Path | None, typer.Option("--to", help="A new folder for the backup")] = None,
    key_file: KeyFileOption = None,
    nats: NatsOption = None,
) -> None:
    """Back up the region in DIR into TARGET, online, sealed; verified on write."""
    if ctx.invoked_subcommand is not None:
        return
    if to is None:
        raise typer.BadParameter("name where the backup goes: --to TARGET", param_hint="--to")
    settings = _settings(data)
    with _reported():
        region = resolve_region(settings.data, settings.region,
                                explicit="region" in settings.model_fields_set)
        kek = key_encryption_key(settings)
        material = _material(settings, key_file, kek)
        access = _running_nats(settings, nats)
        report = asyncio.run(take_backup(settings.data, settings.store, region, to, material,
                                         kek=kek, nats=access, key_store=settings.key_store))
    manifest = report.manifest
    cli.out.print(f"backup {manifest.backup_id} of region {region} in {to}", highlight=False)
    cli.out.print(f"  store        {manifest.store}: {manifest.events} events "
                  f"(last position {manifest.last_position})", highlight=False)
    if any(m.kind == KEYS_DUMP for m in manifest.members):
        cli.out.print("  key store    its own database (HUB_KEY_STORE): pg_dump of hub_privacy",
                      highlight=False)
    cp = manifest.checkpoint
    signed = f"size {cp['size']}, root {cp['root'][:16]}…" if cp else "none signed yet"
    cli.out.print(f"  checkpoint   {signed}", highlight=False)
    cli.out.print(f"  members      {len(manifest.members)} files, {report.bytes} bytes sealed, "
                  f"verified; {report.seconds:.2f} s", highlight=False)
    cli.out.print(f"  buckets      {manifest.buckets}", highlight=False)
    cli.out.print("  not in it    the KEK (keep it apart), NATS's own store, read models",
                  highlight=False)


@app.command("verify")
def verify(
    target: Annotated[Path, typer.Argument(help="The backup folder")],
    key_file: KeyFileOption = None,
) -> None:
    """Check a backup without restoring it: the key, every member, the checkpoint covered."""
    settings = _settings(None)
    with _reported():
        manifest = verify_backup(target, _material(settings, key_file, None))
    cp = manifest.checkpoint
    cli.out.print(f"backup {manifest.backup_id} of region {manifest.region} "
                  f"({manifest.created_at}) is intact: {len(manifest.members)} members, "
                  f"{manifest.events} events, checkpoint {cp['size'] if cp else 'none'}",
                  highlight=False)


def restore(
    source: Annotated[Path, typer.Option("--from", help="The backup folder")],
    data: cli.DataOption = None,
    key_file: KeyFileOption = None,
    kek_file: Annotated[Path | None, typer.Option(
        "--kek-file", help="The region's KEK (kept apart from backups); default: HUB_KEK or "
        "HUB_KEK_FILE. Installed as DIR/keys/kek unless HUB_KEK/HUB_KEK_FILE is set")] = None,
    until_checkpoint: Annotated[int | None, typer.Option(
        "--until-checkpoint", min=0,
        help="Restore only up to the signed checkpoint of this tree size; list the rest")] = None,
    nats: NatsOption = None,
    objects_only: Annotated[bool, typer.Option(
        "--objects-only", help="Only put the Object Store objects back, into the running "
        "hub's NATS, for a region already restored (with an embedded nats-server)")] = False,
) -> None:
    """Restore a backup into an empty DIR (and empty HUB_STORE database); audit verify it."""
    settings = _settings(data)
    if objects_only:
        _restore_objects_only(settings, source, key_file, nats)
        return
    with _reported():
        kek = _restore_kek(settings, kek_file)
        material = _material(settings, key_file, kek)
        report = asyncio.run(restore_backup(
            source, material, settings.data, settings.store, kek=kek,
            until_checkpoint=until_checkpoint, nats=_given_nats(settings, nats),
            key_store=settings.key_store))
        if kek_file is not None and settings.kek is None and settings.kek_file is None:
            _install_kek(settings.data / "keys" / "kek", kek_file)
    _print_restore(report, settings.data)
    raise typer.Exit(0 if report.audit and report.audit.ok else 1)


def _restore_objects_only(settings: HubSettings, source: Path, key_file: Path | None,
                          nats: str | None) -> None:
    with _reported():
        access = _running_nats(settings, nats)
        if access is None:
            raise typer.BadParameter("no running nats-server of this region: start the hub "
                                     "on the restored folder first, or give --nats URL",
                                     param_hint="--nats")
        material = _material(settings, key_file, key_encryption_key(settings))
        count = asyncio.run(restore_objects(source, material, access))
    cli.out.print(f"restored {count} objects into {access.url}", highlight=False)


def _restore_kek(settings: HubSettings, kek_file: Path | None) -> bytes:
    if kek_file is not None:
        return read_kek_file(kek_file)
    if settings.kek is not None:
        return parse_kek(settings.kek.get_secret_value(), "HUB_KEK")
    if settings.kek_file is not None:
        return read_kek_file(settings.kek_file)
    raise typer.BadParameter("restore needs the region's KEK: --kek-file FILE, HUB_KEK or "
                             "HUB_KEK_FILE (the backup never holds it)", param_hint="--kek-file")


def _install_kek(path: Path, source: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(source.read_bytes())


def _print_restore(report: RestoreReport, data: Path) -> None:
    manifest, audit = report.manifest, report.audit
    say = cli.out.print
    say(f"restored backup {manifest.backup_id} of region {manifest.region} into {data}",
        highlight=False)
    say(f"  events       {report.events}", highlight=False)
    if report.cut is not None:
        cut = report.cut
        say(f"  left out     {cut.dropped} events after position {cut.kept_position} "
            "(after the checkpoint asked for):", highlight=False)
        for topic, count in sorted(cut.topics.items()):
            say(f"                 {count:6d}  {topic}", highlight=False)
        say(f"               aggregates: {', '.join(cut.aggregates[:10])}"
            f"{' …' if len(cut.aggregates) > 10 else ''}", highlight=False)
        say("               recover them from peers: interop-hub reconcile --peer REGION",
            highlight=False)
    relay = "nothing in flight" if report.relay_from < 0 else \
        f"republishes routed, unanswered exchanges after position {report.relay_from}"
    say(f"  relay        {relay}", highlight=False)
    say(f"  objects      {report.objects} restored", highlight=False)
    for note in report.notes:
        say(f"  note         {note}", highlight=False)
    if audit is not None:
        verdict = "verifies" if audit.ok else "DOES NOT VERIFY: " + "; ".join(audit.problems)
        say(f"  audit        {audit.checkpoints} checkpoints over {audit.events} events: "
            f"{verdict}", highlight=False)
