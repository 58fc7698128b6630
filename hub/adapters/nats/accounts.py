"""NATS users of the embedded server: the hub itself, and one per active department credential.

Once the server's config has an ``authorization`` block, nothing connects
without credentials. Users authenticate with **nkeys** (Ed25519; the config
holds public keys only):

- **the hub** — full permissions. Its seed is derived from a 32-byte region
  secret kept in the key store, wrapped under the KEK (``DIR/keys/``, mode 0600,
  re-wrapped by ``interop-hub keys rotate-kek``); made on first start, never
  logged, never written in the clear.
- **each department with an active credential** (:mod:`hub.service_layer.security.credentials`)
  — publish only ``hub.<region>.ingress.<department>.>`` (its NATS queries,
  :mod:`hub.entrypoints.nats.ingress`) and ``hub.<region>.ingest.<department>.>``
  (its record submissions, :mod:`hub.service_layer.ingest.client`; JetStream's acks come back
  on its inbox), subscribe only ``_INBOX_<department>.>`` (its replies: nats-py
  ``inbox_prefix="_INBOX_<department>"``). Nothing else: no ``$JS.API.>``, no
  ``hub.<region>.deliver.>``, no other department's subjects.
  A revoked or expired credential's user disappears when the config is rendered
  again (hub start, or :meth:`NatsUsers.reload`).

**Leaf nodes.** With an ``authorization`` block and no leaf authorization of its
own, nats-server authenticates *accepted leaf connections against the client
users* (checked against nats-server 2.11: a peer dialling without credentials
is refused with "Authorization Violation"). So accepted leaf links get their own
explicit block, ``leafnodes { authorization { user: "leaf", password } }``, with
the region-shared password ``HUB_LEAF_PASSWORD``; a region that dials
(``HUB_LEAF_REMOTES``) puts ``leaf:<password>@`` into each remote URL that names
no user. The leaf user keeps full permissions in the account (as before: a peer
region's hub speaks across the link); narrowing it to federation subjects is
left to the region-link design.

With an external server (``HUB_NATS_URL``) the hub renders nothing and connects
with ``HUB_NATS_CREDS`` (a ``.creds`` file) or ``HUB_NATS_SEED_FILE`` (an nkey
seed file) when set (:meth:`NatsAuth.from_settings`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import nkeys

from hub.adapters.crypto.keyring import SubjectKeyring, open_keyring
from hub.settings import HubSettings

HUB_USER_SECRET = "nats-hub-user"  # noqa: S105 - the key store row of the hub nkey seed
LEAF_USER = "leaf"


def inbox_prefix(department: str) -> str:
    """The reply-subject prefix a department's NATS client must use (``inbox_prefix``)."""
    return f"_INBOX_{department}"


def ingress_subject(region: str, department: str) -> str:
    """The subject a department sends its NATS queries to."""
    return f"hub.{region}.ingress.{department}.query"


@dataclass(frozen=True)
class NatsAuth:
    """How one of the hub's own clients authenticates; its repr never shows the seed."""

    seed: str = field(default="", repr=False)  # an nkey seed (the hub's user), in memory only
    creds_file: Path | None = None
    seed_file: Path | None = None

    @classmethod
    def from_settings(cls, settings: HubSettings) -> NatsAuth:
        """For an external server: ``HUB_NATS_CREDS`` or ``HUB_NATS_SEED_FILE``, else none."""
        return cls(creds_file=settings.nats_creds, seed_file=settings.nats_seed_file)

    def options(self) -> dict[str, Any]:
        """Keyword arguments for ``nats.connect``."""
        if self.seed:
            return {"nkeys_seed_str": self.seed}
        if self.creds_file is not None:
            return {"user_credentials": str(self.creds_file)}
        if self.seed_file is not None:
            return {"nkeys_seed": str(self.seed_file)}
        return {}


def hub_seed(keyring: SubjectKeyring) -> str:
    """The hub's own nkey user seed, from its KEK-wrapped region secret (made on first use)."""
    raw = keyring.secret(HUB_USER_SECRET)
    return nkeys.encode_seed(raw, nkeys.PREFIX_BYTE_USER).decode("ascii")


def public_key(seed: str) -> str:
    """The public nkey (``U…``) of a user seed."""
    return str(nkeys.from_seed(bytearray(seed.encode("ascii"))).public_key.decode("ascii"))


@dataclass(frozen=True)
class NatsUsers:
    """Who may connect to the region's embedded server, and to what."""

    region: str
    hub_nkey: str
    departments: Mapping[str, Sequence[str]]  # region/department -> public nkeys
    leaf_password: str = field(default="", repr=False)

    def authorization_lines(self) -> list[str]:
        """The server's ``authorization`` block."""
        users = [f"    {{ nkey: {_q(self.hub_nkey)}, "
                 'permissions: { publish: ">", subscribe: ">" } }']
        for department, keys in sorted(self.departments.items()):
            name = department.rsplit("/", 1)[-1]
            allow = {
                "publish": {"allow": [f"hub.{self.region}.ingress.{name}.>",
                                      f"hub.{self.region}.ingest.{name}.>"]},
                "subscribe": {"allow": [f"{inbox_prefix(name)}.>"]},
            }
            users += [f"    {{ nkey: {_q(key)}, permissions: {json.dumps(allow)} }}"
                      for key in sorted(keys)]
        return ["authorization {", "  users: [", *users, "  ]", "}"]

    def leaf_lines(self) -> list[str]:
        """The ``authorization`` block inside ``leafnodes`` (accepted leaf links)."""
        return ["  authorization {", f"    user: {_q(LEAF_USER)}",
                f"    password: {_q(self.leaf_password)}", "  }"]

    def remote_url(self, url: str) -> str:
        """``url`` with the leaf user and password, unless it names a user already."""
        parts = urlsplit(url)
        if parts.username or not self.leaf_password:
            return url
        netloc = f"{LEAF_USER}:{quote(self.leaf_password, safe='')}@{parts.netloc}"
        return urlunsplit(parts._replace(netloc=netloc))


def _q(text: str) -> str:
    return json.dumps(text)  # a quoted string the NATS config parser reads as is


def hub_client_auth(settings: HubSettings) -> NatsAuth:
    """How a hub process (e.g. a CLI command beside a running hub) authenticates to NATS.

    With ``HUB_NATS_URL``: the configured creds or seed file. With the embedded
    server: the hub's own user, its seed unwrapped from the key store.
    """
    if settings.nats_url:
        return NatsAuth.from_settings(settings)
    keyring = open_keyring(settings)
    try:
        return NatsAuth(seed=hub_seed(keyring))
    finally:
        keyring.close()


def hub_connect_options(settings: HubSettings, keyring: SubjectKeyring) -> dict[str, Any]:
    """How any process of the hub authenticates to its NATS: the external server's
    credentials (``HUB_NATS_URL``), else the hub's own user on the embedded server."""
    if settings.nats_url:
        return NatsAuth.from_settings(settings).options()
    return NatsAuth(seed=hub_seed(keyring)).options()
