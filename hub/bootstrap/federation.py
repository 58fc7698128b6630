"""Settings in, a region's federation out: its keys, its trust list and its ``FederationApp``.

The one place that turns :class:`~hub.settings.HubSettings` (data folder, store,
key-encryption key, region) into the pieces of federation, so the CLI, the
running hub and the links runtime all open them the same way:

- the region's signing keys, ``DIR/keys/region-keys.json``, sealed under the
  same key-encryption key (KEK) as the subject keys (:mod:`hub.adapters.crypto.kek`);
- the region's signed trust list, ``DIR/keys/trust-list.jws`` (an empty list,
  serial 0, until the first peer is added);
- the federation application on the region's event store (its own table beside
  the ledger's, :func:`hub.adapters.store.federation_store.federation_environment`);
- for a running hub with peers, that federation and its transport together
  (:func:`running_transport`), and the attester of answers peers will recognise
  (:func:`answer_attester`).

A data folder's region is the one its key file names once it has one, so
commands on ``DIR/south`` need no ``HUB_REGION=south``; before that, the
settings' region is used and written into the new key file.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import structlog

from contracts import ContractRegistry, default_registry
from contracts.identity import REGION_CODE_PATTERN
from federation.canonical import truncate
from federation.errors import RegionKeyError, TrustListError
from federation.jws import open_statement
from federation.keys import KeyRing, RegionKey, folder_region, region_keys_path
from federation.trust import (
    REGION_CARD_TYP,
    TRUST_LIST_TYP,
    Peer,
    TrustList,
    load_trust_list,
    read_region_card,
    save_trust_list,
    trust_list_path,
)
from hub.adapters.crypto.kek import key_encryption_key
from hub.adapters.store.federation_store import federation_environment
from hub.adapters.store.ledger import Ledger
from hub.service_layer.federation.answers import AnswerAttester
from hub.service_layer.federation.app import FederationApp, utc_now
from hub.service_layer.federation.recognition_link import RecognitionLink
from hub.settings import HubSettings

log = structlog.get_logger("hub.bootstrap.federation")


def region_of(settings: HubSettings) -> str:
    """The region of the data folder: the one its key file names, else the settings' one."""
    return folder_region(settings.data, settings.region)


def open_keys(settings: HubSettings, *, now: dt.datetime, create: bool = True) -> KeyRing:
    """The region's signing keys, made (one key, signing from ``now``) on first use.

    With ``create=False`` a folder without keys is an error: a mistyped ``--data``
    must not quietly become a new region.
    """
    path = region_keys_path(settings.data)
    if not create and not path.exists():
        raise RegionKeyError(f"no region keys in {settings.data}: not a region's data folder "
                             f"(make its keys with `interop-hub region keys --data "
                             f"{settings.data} --region {_likely_region(settings)}`)")
    return KeyRing.open(path, key_encryption_key(settings), region_of(settings), now=now)


def _likely_region(settings: HubSettings) -> str:
    """The region a keyless folder is probably for: its name (``fed/south``), if a region
    code, else the settings' region; without ``--region`` the keys would be the latter's."""
    name = settings.data.name
    return name if re.fullmatch(REGION_CODE_PATTERN, name) else settings.region


def save_keys(settings: HubSettings, keys: KeyRing) -> None:
    """Write the key ring back (after a rotation), sealed under the region's KEK."""
    keys.save(region_keys_path(settings.data), key_encryption_key(settings))


def open_trust(settings: HubSettings, keys: KeyRing, *, now: dt.datetime) -> TrustList:
    """The region's trust list, verified under its own keys; empty when none was signed yet."""
    path = trust_list_path(settings.data)
    if not path.exists():
        return TrustList.empty(keys.region, now=now)
    return load_trust_list(path, keys.public_keys(), region=keys.region)


def save_trust(settings: HubSettings, keys: KeyRing, trust: TrustList) -> str:
    """Sign the trust list with the region's key and write it; returns the signed list."""
    signed = trust.sign(keys)
    save_trust_list(trust_list_path(settings.data), signed)
    return signed


@dataclass(frozen=True)
class Rotation:
    """What a rotation did: the superseded key, the new one, the re-signed trust list."""

    region: str
    old: RegionKey
    fresh: RegionKey
    trust: TrustList | None


def rotate_keys(settings: HubSettings, *, now: dt.datetime, verify_for: dt.timedelta) -> Rotation:
    """Supersede the active key with a new one and re-sign the trust list under it.

    The old key verifies for ``verify_for`` more. Re-signing lets the current key
    vouch for the list; a list issued in the very second of the rotation would
    otherwise name a moment the old key no longer signs at. A running hub keeps the
    keys it loaded until it is restarted.
    """
    ring = open_keys(settings, now=now, create=False)
    trust = open_trust(settings, ring, now=now)
    superseded = ring.active.kid
    fresh = ring.rotate(now=now, verify_for=verify_for)
    save_keys(settings, ring)
    renewed = None
    if trust_list_path(settings.data).exists():
        renewed = replace(trust, issued_at=truncate(now), serial=trust.serial + 1)
        save_trust(settings, ring, renewed)
    return Rotation(ring.region, ring.get(superseded), fresh, renewed)


def trust_peer(
    settings: HubSettings, card: str, *, now: dt.datetime, expect_kid: str | None = None
) -> tuple[Peer, TrustList]:
    """Add (or update) the peer a signed region card describes, and re-sign the trust list.

    ``expect_kid``: the key the peer's operator named out of band; a card signed by
    any other is refused (a card proves possession of its keys, not identity).
    """
    peer = read_region_card(card)
    signed_by = open_statement(card, REGION_CARD_TYP).kid
    if expect_kid is not None and signed_by != expect_kid:
        raise TrustListError(f"the card of {peer.region} is signed by key {signed_by}, "
                             f"not the expected {expect_kid}")
    ring = open_keys(settings, now=now, create=False)
    updated = open_trust(settings, ring, now=now).with_peer(peer, now=now)
    save_trust(settings, ring, updated)
    return peer, updated


def untrust_peer(settings: HubSettings, region: str, *, now: dt.datetime) -> TrustList:
    """Remove a peer from the trust list and re-sign it."""
    ring = open_keys(settings, now=now, create=False)
    updated = open_trust(settings, ring, now=now).without_peer(region, now=now)
    save_trust(settings, ring, updated)
    return updated


def trust_list_signer(settings: HubSettings) -> str | None:
    """The kid that signed the stored trust list (verify it with :func:`open_trust`)."""
    path = trust_list_path(settings.data)
    if not path.exists():
        return None
    return open_statement(path.read_text(encoding="ascii").strip(), TRUST_LIST_TYP).kid


@dataclass
class RegionFederation:
    """One region's federation as opened from its settings; close it when done."""

    settings: HubSettings
    keys: KeyRing
    trust: TrustList
    registry: ContractRegistry
    app: FederationApp

    @property
    def region(self) -> str:
        return self.keys.region

    def close(self) -> None:
        self.app.close()

    def __enter__(self) -> RegionFederation:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_federation(
    settings: HubSettings,
    *,
    registry: ContractRegistry | None = None,
    clock: Callable[[], dt.datetime] = utc_now,
    create: bool = True,
) -> RegionFederation:
    """The region's keys, trust list and federation application, from its settings.

    ``create``: make the region's first key if the folder has none (see :func:`open_keys`).
    """
    now = clock()
    keys = open_keys(settings, now=now, create=create)
    trust = open_trust(settings, keys, now=now)
    registry = registry or default_registry()
    env = federation_environment(settings.store, settings.data)
    app = FederationApp(env, keys=keys, trust=trust, registry=registry, clock=clock)
    return RegionFederation(settings, keys, trust, registry, app)


def peer_settings(settings: HubSettings, data: Path, store: str | None = None) -> HubSettings:
    """Settings for another region's data folder opened beside this one (offline tools).

    The peer's folder keeps its own KEK file and key store: this region's
    ``HUB_KEK``, ``HUB_KEK_FILE`` and ``HUB_KEY_STORE`` are not the peer's.
    """
    return settings.model_copy(update={"data": data, "store": store, "kek": None,
                                       "kek_file": None, "key_store": None})


@dataclass
class FederationTransport:
    """A running region's federation (keys, trust, app) and its transport, as ``run_hub``
    starts them when the region has peers."""

    federation: RegionFederation
    link: RecognitionLink


@contextlib.asynccontextmanager
async def running_transport(settings: HubSettings, nats_url: str,
                            auth: dict[str, Any] | None = None,
                            ) -> AsyncIterator[FederationTransport]:
    """Open the region's federation from its data folder and run its transport in the block."""
    federation = await asyncio.to_thread(open_federation, settings)
    try:
        link = await RecognitionLink.connect(nats_url, federation.app,
                                             timeout_s=settings.link_timeout_s, auth=auth)
        try:
            await link.start()
            log.info("federation transport running", region=federation.region)
            yield FederationTransport(federation, link)
        finally:
            await link.close()
    finally:
        federation.close()


def answer_attester(transport: FederationTransport | None, ledger: Ledger
                    ) -> AnswerAttester | None:
    """Issues answers that peers asked to recognise, as records of this region's federation
    (subject references by the ledger's keyring); None without a federation transport."""
    if transport is None:
        return None
    return AnswerAttester(transport.link, ledger.keyring.ref_of)
