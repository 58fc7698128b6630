"""``interop-hub region``: the region's signing keys, its card for peers, and its trust list.

    region keys                 list the keys (made on first use: the one command that
                                makes a folder a region's; the others need its keys)
    region rotate               a new signing key; the old one verifies until its published end
    region card --out FILE      the region's signed card (public keys + registry fingerprint)
    region trust [list]         the peers trusted, their keys, and the list's own signature
    region trust add CARD       trust a peer from its card (re-signs the trust list)
    region trust remove REGION  stop trusting a peer (re-signs the trust list)

Exit codes: 0 done; 2 the command could not run (an error names why).
The logic lives in :mod:`hub.bootstrap.federation` and :mod:`regions`; this module
only parses arguments and prints.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from contracts import default_registry
from federation.canonical import instant
from federation.fingerprints import registry_fingerprint
from federation.keys import PublicKey
from federation.trust import publish_region_card
from hub.bootstrap.federation import (
    open_keys,
    open_trust,
    rotate_keys,
    trust_list_signer,
    trust_peer,
    untrust_peer,
)
from hub.entrypoints.cli import common as cli
from hub.entrypoints.cli.federation import (
    plain,
    read_statement,
    reported,
    settings_for,
    write_statement,
)
from hub.service_layer.federation.app import utc_now

app = typer.Typer(help="Region identity: signing keys, region card, trust list.",
                  no_args_is_help=True)
trust_app = typer.Typer(help="The peers this region trusts (a signed list).",
                        invoke_without_command=True)
app.add_typer(trust_app, name="trust")

RegionOption = Annotated[
    str | None,
    typer.Option("--region", help="The region code when the folder has no keys yet "
                                  "(default: $HUB_REGION, else north)"),
]


@app.command("keys")
def keys(data: cli.DataOption = None, region: RegionOption = None) -> None:
    """List the region's signing keys (creating the first one on first use)."""
    settings = settings_for(data, region=region)
    with reported():
        ring = open_keys(settings, now=utc_now())
    table = Table(title=f"signing keys of region {ring.region} in {settings.data}")
    for column in ("kid", "created", "signs until", "verifies until", "active"):
        table.add_column(column)
    active = ring.active.kid
    for key in ring.keys:
        validity = key.validity
        table.add_row(key.kid, instant(validity.not_before),
                      _when(validity.superseded_at, "-"), _when(validity.not_after, "open"),
                      "yes" if key.kid == active else "no")
    cli.out.print(table)


@app.command("rotate")
def rotate(
    data: cli.DataOption = None,
    verify_days: Annotated[int, typer.Option(
        "--verify-days", min=1,
        help="How long the old key keeps verifying (beyond any attestation it signed)")] = 400,
) -> None:
    """Make a new signing key; the old one verifies until its published end date."""
    settings = settings_for(data)
    with reported():
        done = rotate_keys(settings, now=utc_now(), verify_for=dt.timedelta(days=verify_days))
    ended = done.old.validity
    plain(f"region {done.region}: new signing key {done.fresh.kid}")
    plain(f"  old key {done.old.kid} stopped signing at {_when(ended.superseded_at, '-')}, "
          f"verifies until {_when(ended.not_after, 'open')}")
    if done.trust is not None:
        plain(f"  trust list re-signed with the new key (serial {done.trust.serial})")
    plain(f"  give peers the new card: interop-hub region card --data {settings.data} --out FILE")
    plain("  a running hub signs with the new key once restarted")


@app.command("card")
def card(
    out: Annotated[Path, typer.Option("--out", help="Write the signed card to this file")],
    data: cli.DataOption = None,
) -> None:
    """Write the region's signed card (public keys, registry fingerprint) for its peers."""
    settings = settings_for(data)
    now = utc_now()
    with reported():
        ring = open_keys(settings, now=now, create=False)
        fingerprint = registry_fingerprint(default_registry())
        write_statement(out, publish_region_card(ring, fingerprint, now=now))
    plain(f"card of region {ring.region} written to {out}")
    plain(f"  signed by key {ring.active.kid}: give this kid to the peer's operator, "
          "who checks it before `region trust add`")
    plain(f"  registry fingerprint {fingerprint.digest}")


@trust_app.callback()
def trust(ctx: typer.Context, data: cli.DataOption = None) -> None:
    """Show the peers this region trusts (the same as `region trust list`)."""
    if ctx.invoked_subcommand is None:
        trust_list(data)


@trust_app.command("list")
def trust_list(data: cli.DataOption = None) -> None:
    """Show each trusted peer, its keys and their validity; verify the list's signature."""
    settings = settings_for(data)
    now = utc_now()
    with reported():
        ring = open_keys(settings, now=now, create=False)
        current = open_trust(settings, ring, now=now)
        signer = trust_list_signer(settings)
    if signer is None:
        plain(f"region {ring.region} trusts no peer yet (no trust list in {settings.data})")
        return
    plain(f"trust list of {ring.region}: serial {current.serial}, issued "
          f"{instant(current.issued_at)}, signature ok (key {signer})")
    table = Table(title=f"peers trusted by {ring.region}")
    for column in ("peer", "kid", "signs", "verifies until", "now"):
        table.add_column(column, overflow="fold")
    for peer in current.peers:
        for key in peer.keys:
            signs = (f"{instant(key.validity.not_before)}\n"
                     f"→ {_when(key.validity.superseded_at, '')}")
            table.add_row(peer.region, key.kid, signs, _when(key.validity.not_after, "open"),
                          _valid_now(key, now))
    cli.out.print(table)
    for peer in current.peers:
        registry = "none published" if peer.registry is None else peer.registry.digest
        plain(f"{peer.region}: registry fingerprint {registry}")
    plain(_count(len(current.peers), "peer"))


@trust_app.command("add")
def trust_add(
    card_file: Annotated[Path, typer.Argument(help="The peer's card (`region card --out`)")],
    data: cli.DataOption = None,
    expect_kid: Annotated[str | None, typer.Option(
        "--expect-kid", help="Refuse the card unless it is signed by this key (checked out of "
                             "band with the peer's operator)")] = None,
) -> None:
    """Trust a peer region from its signed card: add or update it and re-sign the list."""
    settings = settings_for(data)
    with reported():
        peer, updated = trust_peer(settings, read_statement(card_file), now=utc_now(),
                                   expect_kid=expect_kid)
    plain(f"region {updated.region} now trusts {peer.region} "
          f"({_count(len(peer.keys), 'key')}: {', '.join(k.kid for k in peer.keys)}); "
          f"trust list serial {updated.serial} signed")


@trust_app.command("remove")
def trust_remove(
    region: Annotated[str, typer.Argument(help="The peer region to stop trusting")],
    data: cli.DataOption = None,
) -> None:
    """Stop trusting a peer region and re-sign the list."""
    settings = settings_for(data)
    with reported():
        updated = untrust_peer(settings, region, now=utc_now())
    plain(f"region {updated.region} no longer trusts {region}; trust list serial "
          f"{updated.serial} signed")


def _valid_now(key: PublicKey, now: dt.datetime) -> str:
    if key.validity.signs_at(now):
        return "signs"
    return "verifies" if key.validity.verifies_at(now) else "expired"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _when(moment: dt.datetime | None, empty: str) -> str:
    return empty if moment is None else instant(moment)
