"""``interop-hub retention``: what expires when, and destroying what has expired.

The hub runs the same enforcer in the background (every ``HUB_RETENTION_INTERVAL_S``);
``retention run`` is for a region whose hub is not running, or to not wait for it.
Both are idempotent: a second run, or one after a crash, does nothing more
(:mod:`hub.service_layer.privacy.retention`). Both delete the documents of the scopes they
expire (:mod:`hub.service_layer.documents.expiry`): ``retention run`` reaches the region's
bucket through ``HUB_NATS_URL``, else the running hub's embedded nats-server (found in the
data folder, as ``backup`` finds it), else by starting the embedded nats-server itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import typer

from contracts import default_registry
from contracts.errors import HubError
from hub.adapters.documents.object_store import DocumentStore
from hub.adapters.nats.accounts import hub_client_auth
from hub.adapters.store.ledger import Ledger
from hub.bootstrap.documents import offline_document_store
from hub.entrypoints.cli import common as hub_cli
from hub.logs import configure_logging
from hub.service_layer.documents.expiry import DocumentExpiry
from hub.service_layer.exchanges.routing import load_services
from hub.service_layer.federation.reconciliation.online import (
    RegionNatsNotFound,
    local_nats_url,
)
from hub.service_layer.privacy.retention import (
    ExpiredData,
    RetentionEnforcer,
    retention_schedule,
    utc_now,
)
from hub.settings import HubSettings

app = typer.Typer(help="Retention: what expires when; destroy what expired.",
                  no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object per line")]


@app.command("run")
def run(data: hub_cli.DataOption = None, as_json: JsonOption = False) -> None:
    """Destroy the keys of every expiry bucket that is over, recording RetentionExpired, and
    delete the documents they sealed, recording Document.Expired."""
    settings = hub_cli.load_settings(data)
    # Logs (the embedded nats-server's start and stop) on stderr, only warnings on a terminal.
    configure_logging(settings.log_format,
                      "warning" if settings.log_format == "auto" else settings.log_level)
    ledger = hub_cli.open_ledger(settings)
    try:
        expired = asyncio.run(_run(settings, ledger))
    except HubError as exc:
        hub_cli.out.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(1) from None
    finally:
        ledger.close()
    if as_json:
        for item in expired:
            print(json.dumps({"expired": item.as_dict()}))
        return
    out = hub_cli.out
    out.print(f"retention: {len(expired)} key(s) destroyed", highlight=False)
    for item in expired:
        out.print(f"  {item.subject}  purpose {item.purpose}  bucket {item.bucket}  "
                  f"key {item.key_id}", highlight=False)
    if expired:
        out.print("  what they sealed now reads as erased; stored events are unchanged")


async def _run(settings: HubSettings, ledger: Ledger) -> list[ExpiredData]:
    """One pass of the enforcer, the region's documents following it."""
    enforcer = RetentionEnforcer(ledger, ledger.keyring, clock=utc_now)
    async with _document_store(settings, ledger) as store:
        enforcer.add_sink(DocumentExpiry(ledger, store, asyncio.get_running_loop()))
        return await asyncio.to_thread(enforcer.run_once)


@contextlib.asynccontextmanager
async def _document_store(settings: HubSettings, ledger: Ledger
                          ) -> AsyncIterator[DocumentStore]:
    """The region's bucket: through ``HUB_NATS_URL`` or the running hub's embedded server,
    else through an embedded server started for the command."""
    try:
        url = local_nats_url(settings)
    except RegionNatsNotFound:
        async with offline_document_store(settings, ledger) as store:
            yield store
        return
    auth = await asyncio.to_thread(lambda: hub_client_auth(settings).options())
    store = await DocumentStore.connect(
        url, region=settings.region, replicas=settings.stream_replicas,
        name=f"interop-hub-{settings.region}-retention-cli", auth=auth)
    try:
        yield store
    finally:
        await store.close()


@app.command("status")
def status(
    data: hub_cli.DataOption = None,
    services: Annotated[
        Path | None,
        typer.Option("--services", help="Also list each purpose's declared retention period",
                     exists=True, dir_okay=False),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """What expires when: keys held per purpose and expiry bucket, and when each goes."""
    settings = hub_cli.load_settings(data)
    declared = _declared(services) if services else []
    ledger = hub_cli.open_ledger(settings)
    try:
        schedule = retention_schedule(ledger.keyring)
    finally:
        ledger.close()
    now = utc_now()
    if as_json:
        for service, purpose, period in declared:
            print(json.dumps({"declared": {"service": service, "purpose": purpose,
                                           "retention": period or None}}))
        for entry in schedule:
            print(json.dumps({"scheduled": {
                "purpose": entry.purpose, "bucket": entry.bucket, "keys": entry.keys,
                "expires_at": entry.expires_at.isoformat(), "due": entry.expires_at <= now}}))
        return
    out = hub_cli.out
    for service, purpose, period in declared:
        kept = f"kept {period}" if period else "kept until the subject is forgotten"
        out.print(f"  {service}  purpose {purpose}: {kept}", highlight=False)
    out.print(f"retention: {sum(e.keys for e in schedule)} key(s) in "
              f"{len(schedule)} purpose/bucket group(s)", highlight=False)
    for entry in schedule:
        due = "  DUE (the next run destroys it)" if entry.expires_at <= now else ""
        out.print(f"  {entry.expires_at:%Y-%m-%d %H:%M} UTC  purpose {entry.purpose}  "
                  f"bucket {entry.bucket}  {entry.keys} key(s){due}", highlight=False)


def _declared(path: Path) -> list[tuple[str, str, str]]:
    """(service, purpose, retention) of every purpose ``path`` declares."""
    return [(str(service.id), purpose.name, purpose.retention)
            for service in load_services(path, default_registry())
            for purpose in service.purposes]
