"""Keep the embedded server's NATS users in step with the credentials in the ledger.

A department's NATS user exists while its credential is active: issuing one
adds the user, revoking one (or its expiry) removes it. The hub re-reads the
credentials every ``HUB_NATS_USERS_REFRESH_S`` seconds and, when the users
changed, renders the config again and has nats-server reload it (SIGHUP): the
server then closes connections whose user is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import structlog

from hub.adapters.crypto.keyring import SubjectKeyring
from hub.adapters.nats.accounts import NatsAuth, NatsUsers, hub_seed, public_key
from hub.adapters.nats.server import (
    NatsServerConfig,
    NatsServerError,
    NatsServerProcess,
    running_nats_server,
)
from hub.adapters.projections.follower import Follower
from hub.settings import HubSettings

log = structlog.get_logger("hub.adapters.nats.user_sync")


DepartmentNkeys = Callable[[], Mapping[str, Sequence[str]]]
"""The public nkeys of the active department credentials, by department, as of now
(the credentials read model answers it: ``CredentialService.active_department_nkeys``)."""


def embedded_users(
    settings: HubSettings, department_nkeys: DepartmentNkeys, hub_key: str
) -> NatsUsers:
    """The users of the region's embedded server as ``department_nkeys`` has them now.

    ``hub_key`` is the public nkey of the hub's own user (:func:`hub_seed`).
    """
    linked = settings.leaf_port is not None or bool(settings.leaf_remotes)
    password = settings.leaf_password.get_secret_value() if settings.leaf_password else ""
    if linked and not password:
        raise NatsServerError(
            "HUB_LEAF_PASSWORD is required for leaf-node links of the embedded server: with "
            "NATS users configured, nats-server refuses leaf connections without credentials"
        )
    return NatsUsers(settings.region, hub_key, department_nkeys(),
                     leaf_password=password)


def user_follower(
    server: NatsServerProcess, read: Callable[[], NatsUsers], *, every_s: float
) -> Follower:
    """A follower whose round derives the users again (in memory) and reloads when they changed."""

    async def step() -> int:
        users = read()
        if users != server.config.users:
            config: NatsServerConfig = dataclasses.replace(server.config, users=users)
            await asyncio.to_thread(server.reload, config)
            log.info("nats users reloaded", departments=sorted(users.departments))
        return 0  # reads no notification: the credentials read model follows the ledger

    return Follower(step, poll_s=every_s, name="nats-users")


async def sync_users(
    server: NatsServerProcess,
    read: Callable[[], NatsUsers],
    stop: asyncio.Event,
    *,
    every_s: float,
) -> None:
    """Until ``stop``: every ``every_s``, reload the server when the users changed."""
    await user_follower(server, read, every_s=every_s).run(stop)


@dataclasses.dataclass
class RegionNats:
    """Where the hub's clients connect and how they authenticate; the embedded server if any."""

    url: str
    auth: dict[str, Any]  # keyword arguments for nats.connect (NatsAuth.options())
    server: NatsServerProcess | None = None
    read_users: Callable[[], NatsUsers] | None = None

    async def keep_users_in_step(self, stop: asyncio.Event, every_s: float) -> None:
        """Follow credential changes (embedded server only; otherwise returns at once)."""
        if self.server is not None and self.read_users is not None:
            await sync_users(self.server, self.read_users, stop, every_s=every_s)


async def open_region_nats(
    stack: contextlib.AsyncExitStack, settings: HubSettings,
    department_nkeys: DepartmentNkeys, keyring: SubjectKeyring,
) -> RegionNats:
    """``HUB_NATS_URL`` with its credentials, or start the embedded server with its users."""
    if settings.nats_url:
        external = (NatsAuth(seed=await asyncio.to_thread(hub_seed, keyring))
                    if settings.nats_hub_user else NatsAuth.from_settings(settings))
        return RegionNats(settings.nats_url, external.options())

    hub_key = public_key(await asyncio.to_thread(hub_seed, keyring))

    def read() -> NatsUsers:
        return embedded_users(settings, department_nkeys, hub_key)

    users = await asyncio.to_thread(read)  # the first read catches the read model up
    config = NatsServerConfig(
        name=f"hub-{settings.region}",
        workdir=settings.data / "nats",
        jetstream_domain=settings.region,
        leafnode_port=settings.leaf_port,  # region links (hub.adapters.peers)
        leaf_remotes=settings.leaf_remotes,
        users=users,
        # /varz: the durability check (hub.adapters.nats.durability) reads sync_interval
        monitor=True,
    )
    server = await stack.enter_async_context(running_nats_server(config))
    auth = NatsAuth(seed=await asyncio.to_thread(hub_seed, keyring)).options()
    return RegionNats(server.url, auth, server, read)
